#include "flowkit/model/discrete_load.hpp"

#include "flowkit/flow/discrete_table.hpp"
#include "flowkit/model/model.hpp"
#include "flowkit/nn/net.hpp"

namespace flowkit {
namespace {

// A U-Net's sequences (token images) go through it this many at a time: its activations for a
// sampler's whole chunk would take gigabytes.
constexpr Eigen::Index kUNetPiece = 16;

// A trained network over tokens ("type": "discrete", flow-train on token data): the posterior
// is the softmax of its V logits per position, with the null label when it learned classes.
class NetDiscreteModel : public DiscreteModel {
 public:
  explicit NetDiscreteModel(const LearnedModel& m) : net_(m.net), path_(m.discrete), shape_(m.shape) {
    net_.params() = m.sampling_weights();
  }
  int length() const override { return net_.config().dim; }
  std::vector<int64_t> shape() const override { return shape_; }
  const DiscretePath& path() const override { return path_; }
  int num_classes() const override { return net_.config().num_classes; }
  // A U-Net chunk is one piece: 100 images make 7 chunks for the threads, not one
  int64_t chunk() const override { return net_.config().kind == NetKind::unet ? kUNetPiece : kTokenChunk; }
  void posterior(const Tokens& xt, const Vec& t, const int* labels, Mat& p) override {
    const Eigen::Index n = xt.cols();
    const Eigen::Index step = net_.config().kind == NetKind::unet ? kUNetPiece : std::max<Eigen::Index>(n, 1);
    if (step >= n) {
      z_ = xt.cast<float>();
      net_.infer(z_, t, labels, logits_);
    } else {
      logits_.resize(net_.config().output_rows(), n);
      for (Eigen::Index c0 = 0; c0 < n; c0 += step) {
        const Eigen::Index m = std::min(step, n - c0);
        z_ = xt.middleCols(c0, m).cast<float>();
        tp_ = t.segment(c0, m);
        net_.infer(z_, tp_, labels ? labels + c0 : nullptr, piece_);
        logits_.middleCols(c0, m) = piece_;
      }
    }
    // (L V) x n and V x (L n) are the same bytes: column i + L j is position i of sequence j
    softmax_columns(Eigen::Map<const Mat>(logits_.data(), path_.vocab, logits_.size() / path_.vocab), p);
  }
  std::unique_ptr<DiscreteModel> clone() const override { return std::make_unique<NetDiscreteModel>(*this); }
  std::string describe() const override {
    return "discrete " + net_.describe() + ", vocabulary " + std::to_string(path_.vocab) + ", length " +
           std::to_string(length());
  }
  NetDiscreteModel(const NetDiscreteModel& o) : net_(o.net_.config()), path_(o.path_), shape_(o.shape_) {
    net_.params() = o.net_.params();
  }

 private:
  Net net_;
  DiscretePath path_;
  std::vector<int64_t> shape_;
  Mat z_, logits_, piece_;
  Vec tp_;
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
