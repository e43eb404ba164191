// data: Gaussian mixtures with diagonal covariances (spec, sampling, exact log density), grids.
#include <cmath>
#include <nlohmann/json.hpp>

#include "flowkit/data/data.hpp"
#include "flowkit/io/json_text.hpp"

namespace flowkit {
namespace {

using nlohmann::json;

VecD vector_of(const json& j, const std::string& what, const std::string& where) {
  if (!j.is_array() || j.empty()) throw Error("mixture " + what + " must be a non-empty array of numbers (" + where + ")");
  VecD v(Eigen::Index(j.size()));
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number()) throw Error("mixture " + what + "[" + std::to_string(i) + "] is not a number (" + where + ")");
    v[Eigen::Index(i)] = j[i].get<double>();
    if (!std::isfinite(v[Eigen::Index(i)])) throw Error("mixture " + what + " is not finite (" + where + ")");
  }
  return v;
}

}  // namespace

Mixture parse_mixture(const std::string& text, const std::string& where) {
  const json j = parse_json(text, where);
  if (!j.is_object() || !j.contains("means"))
    throw Error("a mixture spec is an object {\"weights\": [...], \"means\": [[...]], \"vars\": [[...]]} (" + where + ")");
  // A misspelt key ("weight") was ignored, and the weights came out equal
  for (const auto& [key, value] : j.items())
    if (key != "weights" && key != "means" && key != "vars" && key != "variances")
      throw Error("mixture spec has an unknown key \"" + key + "\"; its keys are \"weights\", \"means\" and \"vars\" (" +
                  where + ")");
  const json& means = j["means"];
  if (!means.is_array() || means.empty()) throw Error("mixture \"means\" must be a non-empty array of rows (" + where + ")");
  Mixture m;
  const size_t K = means.size();
  for (size_t k = 0; k < K; ++k) {
    const std::string at = "[" + std::to_string(k) + "]";
    m.means.push_back(vector_of(means[k], "\"means\"" + at, where));
    if (m.means[k].size() != m.means[0].size())
      throw Error("mixture \"means\"" + at + " has dimension " + std::to_string(m.means[k].size()) + ", expected " +
                  std::to_string(m.means[0].size()) + " (" + where + ")");
    // A variance per coordinate, one number for all, or 1 when "vars" is missing ("variances",
    // as in a gmm model file, is the same)
    VecD var = VecD::Ones(m.means[0].size());
    if (j.contains("vars") || j.contains("variances")) {
      const json& vs = j.contains("vars") ? j["vars"] : j["variances"];
      if (!vs.is_array() || vs.size() != K)
        throw Error("mixture \"vars\" must have one entry per mean (" + std::to_string(K) + ") (" + where + ")");
      var = vs[k].is_number() ? VecD::Constant(var.size(), vs[k].get<double>()) : vector_of(vs[k], "\"vars\"" + at, where);
      if (var.size() != m.means[0].size() || !(var.array() > 0).all() || !var.allFinite())
        throw Error("mixture \"vars\"" + at + " must be " + std::to_string(m.means[0].size()) +
                    " positive variances (" + where + ")");
    }
    m.vars.push_back(var);
  }
  const VecD w = j.contains("weights") ? vector_of(j["weights"], "\"weights\"", where) : VecD::Ones(Eigen::Index(K));
  if (size_t(w.size()) != K || !(w.array() >= 0).all() || !(w.sum() > 0))
    throw Error("mixture \"weights\" must be " + std::to_string(K) + " non-negative numbers, not all zero (" + where + ")");
  // Scaled by the largest first: weights of 1e308 summed to inf, and every one became 0
  const VecD ws = w / w.maxCoeff();
  for (Eigen::Index k = 0; k < ws.size(); ++k) m.weights.push_back(ws[k] / ws.sum());
  return m;
}

Mat sample_mixture(const Mixture& m, int64_t n, Rng& rng, std::vector<float>* labels) {
  Mat out(m.dim(), n);
  sample_mixture_into(m, rng, out, labels);
  return out;
}

void sample_mixture_into(const Mixture& m, Rng& rng, Mat& out, std::vector<float>* labels) {
  const Eigen::Index d = m.dim(), n = out.cols();
  out.resize(d, n);
  if (labels) labels->resize(size_t(n));
  for (int64_t j = 0; j < n; ++j) {
    // Component by its cumulative weight, then its diagonal Gaussian
    const double u = rng.uniform();
    size_t k = 0;
    for (double acc = m.weights[0]; k + 1 < m.weights.size() && u >= acc;) acc += m.weights[++k];
    for (Eigen::Index i = 0; i < d; ++i) out(i, j) = float(m.means[k][i] + std::sqrt(m.vars[k][i]) * rng.normal());
    if (labels) (*labels)[size_t(j)] = float(k);
  }
}

VecD mixture_log_density(const Mixture& m, const Mat& x) {
  const Eigen::Index d = m.dim();
  if (x.rows() != d)
    throw Error("points of dimension " + std::to_string(x.rows()) + " for a mixture of dimension " + std::to_string(d));
  // log sum_k exp(log w_k + log N(x; m_k, v_k)), stably
  const size_t K = m.weights.size();
  std::vector<double> base(K);
  for (size_t k = 0; k < K; ++k)
    base[k] = std::log(m.weights[k]) - 0.5 * (double(d) * std::log(2 * M_PI) + m.vars[k].array().log().sum());
  VecD lp(x.cols());
  std::vector<double> terms(K);
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const VecD xj = x.col(j).cast<double>();
    double top = -INFINITY;
    for (size_t k = 0; k < K; ++k) {
      terms[k] = base[k] - 0.5 * ((xj - m.means[k]).array().square() / m.vars[k].array()).sum();
      top = std::max(top, terms[k]);
    }
    double s = 0;
    for (double t : terms) s += std::exp(t - top);
    lp[j] = top + std::log(s);
  }
  return lp;
}

Mat grid_points(double x0, double x1, double y0, double y1, int64_t size) {
  if (size < 1) throw usage_error("the grid size must be >= 1, got " + std::to_string(size));
  if (!(x1 > x0) || !(y1 > y0) || !std::isfinite(x1 - x0) || !std::isfinite(y1 - y0))
    throw usage_error("a grid range must be finite with its start below its end");
  Mat g(2, size * size);
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j) {
      g(0, i * size + j) = float(x0 + (double(j) + 0.5) * (x1 - x0) / double(size));
      g(1, i * size + j) = float(y0 + (double(i) + 0.5) * (y1 - y0) / double(size));
    }
  return g;
}

}  // namespace flowkit
