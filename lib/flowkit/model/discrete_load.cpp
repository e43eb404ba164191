#include "flowkit/model/discrete_load.hpp"

#include "flowkit/flow/discrete_table.hpp"
#include "flowkit/model/model.hpp"
#include "flowkit/nn/net.hpp"

namespace flowkit {
namespace {

// A trained network over tokens ("type": "discrete", flow-train on token data): the posterior
// is the softmax of its V logits per position, with the null label when it learned classes.
class NetDiscreteModel : public DiscreteModel {
 public:
  explicit NetDiscreteModel(const LearnedModel& m) : net_(m.net), path_(m.discrete) {
    net_.params() = m.sampling_weights();
  }
  int length() const override { return net_.config().dim; }
  const DiscretePath& path() const override { return path_; }
  int num_classes() const override { return net_.config().num_classes; }
  void posterior(const Tokens& xt, const Vec& t, const int* labels, Mat& p) override {
    z_ = xt.cast<float>();
    net_.infer(z_, t, labels, logits_);
    // (L V) x n and V x (L n) are the same bytes: column i + L j is position i of sequence j
    softmax_columns(Eigen::Map<const Mat>(logits_.data(), path_.vocab, logits_.size() / path_.vocab), p);
  }
  std::unique_ptr<DiscreteModel> clone() const override { return std::make_unique<NetDiscreteModel>(*this); }
  std::string describe() const override {
    return "discrete " + net_.describe() + ", vocabulary " + std::to_string(path_.vocab) + ", length " +
           std::to_string(length());
  }
  NetDiscreteModel(const NetDiscreteModel& o) : net_(o.net_.config()), path_(o.path_) {
    net_.params() = o.net_.params();
  }

 private:
  Net net_;
  DiscretePath path_;
  Mat z_, logits_;
};

std::string type_of(const nlohmann::json& doc) {
  const auto t = doc.is_object() ? doc.find("type") : doc.end();
  return t != doc.end() && t->is_string() ? t->get<std::string>() : "";
}

}  // namespace

bool is_discrete_model(const nlohmann::json& doc) {
  const std::string t = type_of(doc);
  return t == "discrete-table" || t == "discrete";
}

std::unique_ptr<DiscreteModel> load_discrete(const nlohmann::json& doc, const std::string& where) {
  check_model_header(doc, where);
  if (!is_discrete_model(doc))
    throw Error(where + ": a flow of points, where a discrete model (of tokens) is needed");
  if (type_of(doc) == "discrete") return std::make_unique<NetDiscreteModel>(model_from_json(doc, where));
  return TableModel::from_json(doc, where);
}

}  // namespace flowkit
