// flow: the exact discrete oracle: a token distribution given as a table over all V^L
// sequences, whose posterior p_{1|t} under the mixture path is computed exactly by Bayes' rule
// (doc/MATH.md, "Discrete flows"). Sampling it must give back the table; its ELBO must sit on
// the table's entropy.
#pragma once
#include <nlohmann/json.hpp>

#include "flowkit/flow/discrete.hpp"

namespace flowkit {

// Tables beyond this many cells are refused (the posterior visits every cell).
constexpr int64_t kMaxTableCells = int64_t(1) << 24;

class TableModel : public DiscreteModel {
 public:
  // probs: V^L probabilities (normalised here), cell sum_i x^i V^(L-1-i) (C order).
  TableModel(DiscretePath path, int length, VecD probs);
  // {"type": "discrete-table", "vocab": V, "length": L, "source": "mask", "kappa": "poly:2",
  //  "table": [...]} with the table V^L numbers >= 0, flat or nested L deep.
  static std::unique_ptr<TableModel> from_json(const nlohmann::json& doc, const std::string& where);

  int length() const override { return L_; }
  const DiscretePath& path() const override { return path_; }
  void posterior(const Tokens& xt, const Vec& t, const int* labels, Mat& p) override;  // no classes
  std::unique_ptr<DiscreteModel> clone() const override;
  std::string describe() const override;

  const VecD& probs() const { return probs_; }
  int64_t cell(const Tokens& x, Eigen::Index j) const;  // the cell of column j
  double entropy() const;                               // nats
  Tokens sample(int64_t n, Rng& rng) const;             // exact draws

 private:
  DiscretePath path_;
  int L_;
  VecD probs_;
  Tokens cells_;  // L x V^L: the tokens of every cell with positive probability
  VecD cell_p_;   // their probabilities
  VecD w_;        // workspace: the posterior weight of every cell
  VecD on_, off_;  // workspace: q_t(x_t^i | a) for a = x_t^i and a != x_t^i, per position
};

}  // namespace flowkit
