// train: the training loop with its reports and checkpoints, and training data from streams.
#include <algorithm>
#include <cmath>

#include "flowkit/train/train.hpp"

namespace flowkit {
using nlohmann::json;

namespace {
// Points (n, d) or images (n, H, W[, C]) as a d x n batch and the shape of one sample.
Mat flatten(const Array& a, const std::string& where, std::vector<int64_t>& shape) {
  if (a.shape.size() < 2 || a.shape.size() > 4)
    throw Error(where + ": expected points (n, d) or images (n, H, W[, C]), got shape " + a.shape_str());
  if (a.rows() < 1 || a.row_size() < 1) throw Error(where + ": the data set is empty " + a.shape_str());
  shape.assign(a.shape.begin() + 1, a.shape.end());
  Mat m = Eigen::Map<const Mat>(a.data.data(), long(a.row_size()), long(a.rows()));
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    if (!m.col(j).allFinite()) throw Error(where + ": row " + std::to_string(j) + " holds a NaN or Inf");
  return m;
}

std::vector<int> labels_of(const Array& c, int64_t n, const std::string& where) {
  if (c.shape.size() != 1 || c.shape[0] != n)
    throw Error(where + ": the labels have shape " + c.shape_str() + ", expected (" + std::to_string(n) + ",)");
  std::vector<int> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float y = c.data[size_t(i)];
    if (!(y >= 0) || y != std::floor(y) || y > 1e6)
      throw Error(where + ": label " + std::to_string(i) + " is " + std::to_string(y) + ", not a class 0, 1, 2, ...");
    out[size_t(i)] = int(y);
  }
  return out;
}
}  // namespace

TrainData TrainData::from_streams(const Stream& target, const std::string& where, const Stream* source,
                                  const std::string& source_where, bool want_labels) {
  TrainData d;
  d.target = flatten(target.main, where, d.shape);
  if (want_labels) {
    if (!target.companion) throw usage_error("--conditional needs labels: " + where + " carries no companion array");
    d.labels = labels_of(*target.companion, d.target.cols(), where);
  }
  if (source) {
    std::vector<int64_t> s;
    d.source = flatten(source->main, source_where, s);
    if (d.source.rows() != d.target.rows())
      throw Error(source_where + ": source points have dimension " + std::to_string(d.source.rows()) +
                  ", the data " + std::to_string(d.target.rows()));
  }
  return d;
}

TrainData TrainData::from_tokens(const TokenStream& tokens, int vocab, const std::string& where, bool want_labels) {
  TrainData d;
  if (tokens.x.cols() < 1 || tokens.x.rows() < 1) throw Error(where + ": the token data set is empty");
  d.vocab = vocab > 0 ? vocab : tokens.max_token + 1;
  check_tokens(tokens.x, d.vocab, where);
  d.shape = tokens.shape;
  d.target = tokens.x.cast<float>();
  if (want_labels) {
    if (!tokens.labels) throw usage_error("--conditional needs labels: " + where + " carries no companion array");
    d.labels = labels_of(*tokens.labels, d.target.cols(), where);
  }
  return d;
}

TrainData TrainData::from_pairs(const Stream& pairs, const std::string& where, bool want_labels) {
  const Array& a = pairs.main;
  if (a.shape.size() < 3 || a.shape[1] != 2)
    throw Error(where + ": expected pairs (n, 2, d) or (n, 2, H, W[, C]) from flow-sample --pairs, got shape " +
                a.shape_str());
  // Split each row [start, sample] into the noise and the target of one pair
  Stream target;
  target.main.shape = a.shape;
  target.main.shape.erase(target.main.shape.begin() + 1);
  target.companion = pairs.companion;
  const int64_t n = a.rows(), d = a.row_size() / 2;
  target.main.data.resize(size_t(n * d));
  Mat noise(d, n);
  for (int64_t i = 0; i < n; ++i) {
    const float* row = a.data.data() + 2 * d * i;
    std::copy(row, row + d, noise.data() + d * i);
    std::copy(row + d, row + 2 * d, target.main.data.begin() + d * i);
  }
  TrainData data = from_streams(target, where, nullptr, "", want_labels);
  for (Eigen::Index j = 0; j < noise.cols(); ++j)
    if (!noise.col(j).allFinite()) throw Error(where + ": the start point of pair " + std::to_string(j) + " holds a NaN or Inf");
  data.noise = std::move(noise);
  return data;
}

json run_training(Trainer& t, const TrainHooks& hooks) {
  const int64_t total = t.config().steps;
  int64_t last_ck = -1;
  bool validated_last = false;  // the last report computed the final validation loss
  while (t.step() < total) {
    if (hooks.stop && hooks.stop()) return json();
    const double loss = t.train_step();
    if (!std::isfinite(loss)) {
      std::string msg = "the loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
                        std::to_string(t.step() + 1) + " (try a smaller --lr or --clip)";
      if (last_ck >= 0) msg += "; the last good checkpoint is from step " + std::to_string(last_ck);
      throw Error(msg);
    }
    const int64_t s = t.step();
    if (hooks.checkpoint_every > 0 && hooks.checkpoint && (s % hooks.checkpoint_every == 0 || s == total)) {
      hooks.checkpoint(t.checkpoint_json(), s);
      last_ck = s;
    }
    if (hooks.report && (s % std::max<int64_t>(1, hooks.report_every) == 0 || s == total)) {
      std::optional<double> val;
      if (t.has_validation()) val = t.validation_loss();
      validated_last = s == total;
      hooks.report(s, t.smoothed_loss(), val);
    }
  }
  // The model's final figure: the last report's, computed once (a U-Net's costs seconds)
  if (t.has_validation() && !validated_last) t.validation_loss();
  return t.model_json();
}

}  // namespace flowkit
