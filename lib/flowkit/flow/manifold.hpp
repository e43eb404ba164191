// flow: the manifolds a flow may live on (one choice table): euclidean space, the sphere
// S^{d-1} as unit vectors in R^d, and the flat torus [0, 2 pi)^d as angles. Each gives the
// tangent projection, exp and log, the geodesic distance, the projection back onto the
// manifold, the uniform log density, the geodesic probability path of any schedule with its
// exact time derivative, and the source laws (uniform, wrapped normal) with exact log
// densities. Every function works on a whole d x n batch, one point per column. Formulas:
// doc/MATH.md, "Manifolds". Never touches files or flags.
#pragma once
#include <string>

#include "flowkit/core/choice.hpp"
#include "flowkit/core/core.hpp"
#include "flowkit/flow/path.hpp"

namespace flowkit {

enum class ManifoldKind { euclidean, sphere, torus };
const ChoiceTable<ManifoldKind>& manifolds();

// The source law p_0 of a flow on a curved manifold.
enum class ManifoldSourceKind { uniform, wrapped_normal };
const ChoiceTable<ManifoldSourceKind>& manifold_sources();

// Points off the sphere by more than this in norm are refused as data.
constexpr double kSphereTolerance = 1e-4;

using MatRef = Eigen::Ref<Mat>;

struct Manifold {
  ManifoldKind kind = ManifoldKind::euclidean;
  ManifoldSourceKind source = ManifoldSourceKind::uniform;
  double sigma = 0.5;  // of the wrapped normal

  // "sphere", "torus", "euclidean"; a usage error otherwise.
  static Manifold parse(const std::string& name);
  // The source: "uniform" or "wrapped-normal:SIGMA" (SIGMA > 0); a usage error otherwise.
  void parse_source(const std::string& spec);
  std::string name() const { return choice_name(manifolds(), kind); }
  std::string source_name() const;
  bool curved() const { return kind != ManifoldKind::euclidean; }

  // u <- proj_x(u): the sphere removes the normal part u - <x, u> x; flat spaces keep u.
  void to_tangent(const Mat& x, MatRef u) const;
  // y = exp_x(u); the sphere: x cos|u| + u sin|u| / |u|; the torus (x + u) mod 2 pi.
  void exp(const Mat& x, const Mat& u, Mat& y) const;
  // u = log_x(y), the tangent vector at x of length dist(x, y) towards y (the torus: the
  // shortest wrapped difference; the sphere: 0 for an antipode, where no direction is best).
  void log(const Mat& x, const Mat& y, Mat& u) const;
  // Geodesic distance between the columns of x and y.
  Vec distance(const Mat& x, const Mat& y) const;
  // Squared geodesic distance from every column of x to every column of y (n x m, double):
  // the cost of the optimal assignment behind W2 on the manifold.
  MatD squared_distances(const Mat& x, const Mat& y) const;
  // Back onto the manifold: the sphere normalizes, the torus wraps into [0, 2 pi).
  void project(MatRef x) const;
  // log of the uniform density w.r.t. the Riemannian volume: -log area(S^{d-1}), -d log 2 pi.
  double uniform_log_density(int d) const;

  // The geodesic path x_t = exp_{x0}(a(t) log_{x0}(x1)) per column (time t_j), and its exact
  // time derivative u_t = a'(t) d/ds exp_{x0}(s log_{x0}(x1)) at s = a(t). Euclidean space
  // gives x0 + a (x1 - x0).
  void geodesic(const Schedule& s, const Mat& x0, const Mat& x1, const Vec& t, Mat& xt, Mat& ut) const;

  // Source points (x is d x n, overwritten) and their log density on the manifold.
  void sample_source(Rng& rng, Mat& x) const;
  Vec source_log_density(const Mat& x) const;

  // Throws an Error naming `where` and the first point that is not on the manifold: not a
  // unit vector within kSphereTolerance, an angle that is not finite, fewer than 2 coordinates
  // on the sphere.
  void require_points(const Mat& x, const std::string& where) const;
};

}  // namespace flowkit
