#include "flowkit/flow/discrete_table.hpp"

#include <cmath>
#include <limits>

#include "flowkit/flow/field_json.hpp"

namespace flowkit {
namespace {

// Appends the numbers of a table nested `depth` deep, each level `width` long.
void flatten(const nlohmann::json& j, int depth, int width, std::vector<double>& out,
             const std::string& where) {
  if (depth == 0 || !j.is_array()) {
    if (depth != 0 && !j.is_array())
      throw Error(where + ": \"table\" must be " + std::to_string(width) + "^L numbers, flat or nested L deep");
    if (!j.is_number() || !std::isfinite(j.get<double>()) || j.get<double>() < 0)
      throw Error(where + ": \"table\" entry " + std::to_string(out.size()) + " is not a number >= 0");
    out.push_back(j.get<double>());
    return;
  }
  if (int(j.size()) != width)
    throw Error(where + ": \"table\" has a level of " + std::to_string(j.size()) + " entries, want " +
                std::to_string(width));
  for (const auto& e : j) flatten(e, depth - 1, width, out, where);
}

int positive_int(const nlohmann::json& doc, const char* key, int64_t most, const std::string& where) {
  const auto& v = detail::member(doc, key, where);
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > most)
    throw Error(where + ": \"" + key + "\" must be an integer in 1.." + std::to_string(most));
  return int(v.get<int64_t>());
}

}  // namespace

TableModel::TableModel(DiscretePath path, int length, VecD probs)
    : path_(path), L_(length), probs_(std::move(probs)) {
  path_.check();
  const double total = probs_.sum();
  if (!(total > 0) || !std::isfinite(total)) throw Error("a token table needs a positive total");
  probs_ /= total;
  std::vector<int64_t> kept;
  for (Eigen::Index c = 0; c < probs_.size(); ++c)
    if (probs_[c] > 0) kept.push_back(c);
  cells_.resize(L_, Eigen::Index(kept.size()));
  cell_p_.resize(Eigen::Index(kept.size()));
  for (size_t k = 0; k < kept.size(); ++k) {
    int64_t c = kept[k];
    cell_p_[Eigen::Index(k)] = probs_[c];
    for (int i = L_ - 1; i >= 0; --i, c /= path_.vocab) cells_(i, Eigen::Index(k)) = int32_t(c % path_.vocab);
  }
}

std::unique_ptr<TableModel> TableModel::from_json(const nlohmann::json& doc, const std::string& where) {
  DiscretePath path;
  path.vocab = positive_int(doc, "vocab", kMaxVocab, where);
  const int L = positive_int(doc, "length", 64, where);
  const double cells = std::pow(double(path.vocab), L);
  if (cells > double(kMaxTableCells))
    throw Error(where + ": a token table of " + std::to_string(path.vocab) + "^" + std::to_string(L) +
                " cells is over the limit of " + std::to_string(kMaxTableCells));
  try {
    const auto& s = detail::member(doc, "source", where);
    const auto& k = detail::member(doc, "kappa", where);
    if (!s.is_string() || !k.is_string())
      throw Error("\"source\" and \"kappa\" must be strings such as \"mask\" and \"poly:2\"");
    path.source = parse_choice(discrete_sources(), s.get<std::string>(), "source");
    path.kappa = Schedule::parse(k.get<std::string>());
  } catch (const Error& e) {
    throw Error(std::string(e.what()).rfind(where, 0) == 0 ? e.what() : where + ": " + e.what());
  }
  std::vector<double> flat;
  const auto& table = detail::member(doc, "table", where);
  if (table.is_array() && int64_t(table.size()) == int64_t(cells) && !(table.size() && table[0].is_array()))
    flatten(table, 1, int(cells), flat, where);
  else
    flatten(table, L, path.vocab, flat, where);
  VecD probs = Eigen::Map<VecD>(flat.data(), Eigen::Index(flat.size()));
  const double total = probs.sum();
  if (!(total > 0)) throw Error(where + ": \"table\" sums to zero");
  if (!std::isfinite(total)) throw Error(where + ": \"table\" sums beyond a double (scale its entries down)");
  return std::make_unique<TableModel>(path, L, std::move(probs));
}

std::unique_ptr<DiscreteModel> TableModel::clone() const {
  return std::make_unique<TableModel>(path_, L_, probs_);
}

std::string TableModel::describe() const {
  return "discrete-table (" + std::to_string(path_.vocab) + " tokens, length " + std::to_string(L_) +
         ", " + choice_name(discrete_sources(), path_.source) + " source, " + path_.kappa.name() + ")";
}

int64_t TableModel::cell(const Tokens& x, Eigen::Index j) const {
  int64_t c = 0;
  for (int i = 0; i < L_; ++i) c = c * path_.vocab + x(i, j);
  return c;
}

double TableModel::entropy() const {
  return -(cell_p_.array() * cell_p_.array().log()).sum();
}

Tokens TableModel::sample(int64_t n, Rng& rng) const {
  Tokens x(L_, n);
  for (int64_t j = 0; j < n; ++j) {
    const double r = rng.uniform();
    double acc = 0;
    Eigen::Index k = 0;
    for (; k + 1 < cell_p_.size(); ++k)
      if (r < (acc += cell_p_[k])) break;
    x.col(j) = cells_.col(k);
  }
  return x;
}

// Bayes' rule over the cells: w_c = p(c) prod_i q_t(x_t^i | c^i), with q_t(z | a) = kappa
// delta(z, a) + (1 - kappa) p_0(z); p_{1|t}(y at i) = sum_{c: c^i = y} w_c / sum_c w_c.
void TableModel::posterior(const Tokens& xt, const Vec& t, const int*, Mat& p) {
  const int V = path_.vocab;
  const Eigen::Index C = cells_.cols();
  p.setZero(V, Eigen::Index(L_) * xt.cols());
  w_.resize(C);
  on_.resize(L_);
  off_.resize(L_);
  double k = 0, last_t = std::numeric_limits<double>::quiet_NaN();
  for (Eigen::Index j = 0; j < xt.cols(); ++j) {
    if (!(t[j] == last_t)) k = path_.kappa.a(last_t = t[j]);  // a sampler's batch shares one t
    // q_t(x_t^i | a): off_i when a differs from x_t^i, on_i when it is x_t^i
    for (int i = 0; i < L_; ++i) {
      off_[i] = (1 - k) * path_.source_prob(xt(i, j));
      on_[i] = k + off_[i];
    }
    for (Eigen::Index c = 0; c < C; ++c) {
      double w = cell_p_[c];
      for (int i = 0; i < L_; ++i) w *= xt(i, j) == cells_(i, c) ? on_[i] : off_[i];
      w_[c] = w;
    }
    double total = w_.sum();
    if (!(total > 0)) {  // x_t impossible under the table: the prior
      w_ = cell_p_;
      total = 1;
    }
    for (Eigen::Index c = 0; c < C; ++c)
      for (int i = 0; i < L_; ++i) p(cells_(i, c), j * L_ + i) += float(w_[c] / total);
  }
}

}  // namespace flowkit
