// field: one interface for "a time-dependent vector field": velocity at (x, t) for a whole
// batch and, where it can, score, divergence and Jacobian-vector products. Implementations:
// the learned model (field_learned.cpp), the exact Gaussian-mixture oracle (field_gmm.cpp) and
// linear fields u = A x + b (field_linear.cpp). Never touches files: load_field takes JSON.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowkit/core/core.hpp"
#include "flowkit/flow/manifold.hpp"

namespace flowkit {

class Field {
 public:
  virtual ~Field() = default;
  virtual int dim() const = 0;
  // v = u(x, t) for every column of x (d x n). Implementations keep their own workspaces,
  // so a Field is not shared between threads: clone() one per thread.
  virtual void velocity(const Mat& x, double t, Mat& v) = 0;
  virtual std::unique_ptr<Field> clone() const = 0;

  // The score grad log p_t(x), for fields that have one (learned, oracle).
  virtual bool has_score() const { return false; }
  virtual void score(const Mat& x, double t, Mat& s);
  // Velocity at t and score at ts (the SDE's clamped time) for the same batch; returns the
  // number of field evaluations it took: 2 by default, 1 where the learned network's one
  // prediction gives both (t == ts).
  virtual int velocity_score(const Mat& x, double t, double ts, Mat& v, Mat& s);

  // Velocity and its divergence (trace of the Jacobian) for every column: closed form for the
  // oracle, d forward-mode JVPs for the network.
  virtual bool has_divergence() const { return false; }
  virtual void velocity_divergence(const Mat& x, double t, Mat& v, Vec& div);

  // Velocity and the Jacobian-vector product J(x) dx, column by column (Hutchinson probes).
  virtual bool has_jvp() const { return false; }
  virtual void velocity_jvp(const Mat& x, double t, const Mat& dx, Mat& v, Mat& jdx);

  // Velocity and the vector-Jacobian product J(x)^T u, column by column (Hutchinson probes
  // for networks with reverse mode only: e^T J e = (J^T e)^T e).
  virtual bool has_vjp() const { return false; }
  virtual void velocity_vjp(const Mat& x, double t, const Mat& u, Mat& v, Mat& jtu);

  // The average velocity u(x, r, t) = (1 / (t - r)) integral_r^t v(x_s, s) ds of the flow
  // through x at time r, r <= t, for fields that learned it (a MeanFlow model): one step from r
  // to t is x + (t - r) u(x, r, t). Such a field's velocity() is u(x, t, t).
  virtual bool has_average() const { return false; }
  virtual void average_velocity(const Mat& x, double r, double t, Mat& u);

  // The manifold the flow lives on (field_manifold.hpp): euclidean unless wrapped. On a curved
  // one the velocity is tangent, the divergence is the Riemannian one, solvers project their
  // states back onto it, and p_init is the manifold's source law (uniform or wrapped normal).
  virtual const Manifold& manifold() const;

  // p_init: N(0, I) unless the field is a bridge from a data set (then it has no density).
  virtual bool source_is_gaussian() const { return true; }
  // The data shape of one sample (e.g. {8, 8} for digits; {d} for points).
  virtual std::vector<int64_t> sample_shape() const { return {int64_t(dim())}; }
  // Short description for messages and logs ("gmm (3 components, linear)").
  virtual std::string describe() const = 0;
  // True when the field spreads one batch over the threads itself, each piece on one thread,
  // so that its bits do not depend on the thread count (the U-Net's images); the sampler then
  // lets a lone chunk use every thread rather than making its products serial.
  virtual bool threads_inside() const { return false; }

  // Conditioning (class-conditional learned models): labels per column (-1: unconditional)
  // and the guidance weight W: (1 - W) u(x, t, null) + W u(x, t, y).
  virtual bool conditional() const { return false; }
  virtual int num_classes() const { return 0; }
  // The default accepts only unconditional labels (-1); conditional fields store them.
  virtual void set_condition(const std::vector<int>& labels, double guidance);

 protected:
  // Usage error for a label this field cannot take (any class when it is unconditional).
  void check_labels(const std::vector<int>& labels) const;
};

// Builds a field from a model document: "type" is "learned" (default when absent), "gmm" or
// "linear". `where` names the source in error messages.
std::unique_ptr<Field> load_field(const nlohmann::json& model, const std::string& where);

}  // namespace flowkit
