// model file: a learned model as one JSON document ("format": "flowkit-model", "version": 1,
// "type": "learned", or "discrete" for a network over tokens): data shape, normalization, schedule, prediction, architecture, training
// settings and final loss, weights (base64 of little-endian float32, with shapes) and their EMA.
// Loading checks everything and says precisely what is wrong. Never touches files.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowkit/nn/mlp.hpp"
#include "flowkit/flow/discrete.hpp"
#include "flowkit/flow/manifold.hpp"
#include "flowkit/flow/path.hpp"

namespace flowkit {

constexpr const char* kModelFormat = "flowkit-model";
constexpr int kModelVersion = 1;

// What the network was trained to output: the velocity field (flow matching), or the average
// velocity u(x, r, t) over [r, t] (its net takes r and t - r), learned by MeanFlow's identity
// or by a shortcut model's self-consistency (doc/MATH.md "MeanFlow", "Shortcut models"), or a
// fixed coupling's one-step map x1 - x0 = u(x0, 0, 1), regressed at t = 0 by a net of one
// time input (rectified flow's distillation; doc/MATH.md "Distillation").
enum class Objective { flow_matching, meanflow, shortcut, distill };
const ChoiceTable<Objective>& objectives();
// Whether a model of this objective outputs an average velocity (it takes its own steps).
inline bool average_velocity(Objective o) { return o != Objective::flow_matching; }
// Whether its network takes two times (r, t - r): MeanFlow and shortcut models.
inline bool two_times(Objective o) { return o == Objective::meanflow || o == Objective::shortcut; }

struct LearnedModel {
  Objective objective = Objective::flow_matching;  // "objective" (absent: flow-matching)
  NetConfig net;
  Schedule schedule;
  Predict predict = Predict::velocity;
  std::vector<int64_t> shape;  // of one sample: {d} for points, {H, W} or {H, W, C} for images
  Vec mean, scale;             // x = mean + scale * z: the network sees z
  bool source_data = false;    // a bridge from a data set instead of N(0, I)
  Manifold manifold;           // "manifold" and its "source" (absent: euclidean, N(0, I))
  // A discrete model ("type": "discrete"; vocab > 0): the network maps tokens x_t (dim = L
  // positions) and t to V logits per position; no normalization, schedule or prediction
  DiscretePath discrete;
  bool is_discrete() const { return discrete.vocab > 0; }
  Params weights;  // the trained parameters (param_layout order)
  Params ema;     // their moving average (empty: none)
  bool use_ema = true;         // which set sampling uses
  nlohmann::json training = nlohmann::json::object();  // settings and final loss

  const Params& sampling_weights() const { return use_ema && !ema.empty() ? ema : weights; }
};

nlohmann::json model_to_json(const LearnedModel& m);
// A model's "architecture" section (the network without the data's dimension or image shape).
nlohmann::json net_to_json(const NetConfig& c);
// Parses and checks a learned model document; errors name `where` and the faulty field.
LearnedModel model_from_json(const nlohmann::json& j, const std::string& where);
// The same without the tensors: everything but `weights` and `ema` (which stay empty), for a
// file that keeps its tensors elsewhere (safetensors).
LearnedModel model_config_from_json(const nlohmann::json& j, const std::string& where);
// A model asking for its EMA (`sampling_weights` "ema") must have one; `ema_name` names the
// missing tensors in the error.
void check_sampling_weights(const LearnedModel& m, const nlohmann::json& j, const std::string& ema_name,
                            const std::string& where);

// The path's blur sigma_min recorded in a model's training settings (0 when absent); the
// conversions to score, noise and data need it (path.hpp, Schedule::sigma_min).
double sigma_min_of(const nlohmann::json& training, const std::string& where);

// The network's output o (normalized units) maps to the prediction in data coordinates as
// pred = out_scale * o + out_shift: velocity scale * o, data mean + scale * o, noise o.
void output_affine(Predict p, const Vec& mean, const Vec& scale, Vec& out_scale, Vec& out_shift);

// Base64 of little-endian float32 and back (a size or character error throws with `where`).
std::string floats_to_base64(const float* v, size_t n);
inline std::string floats_to_base64(const std::vector<float>& v) { return floats_to_base64(v.data(), v.size()); }
std::vector<float> base64_to_floats(const std::string& s, const std::string& where);
// The number of float32 values base64 `s` holds (its length checked), and the decoding of
// them straight into out[0, count).
size_t base64_float_count(const std::string& s, const std::string& where);
void base64_to_floats(const std::string& s, float* out, const std::string& where);

}  // namespace flowkit
