#include "flowkit/model/model.hpp"

#include "flowkit/flow/field_manifold.hpp"

#include <array>
#include <climits>
#include <cstdint>
#include <cfloat>
#include <cmath>
#include <limits>
#include <cstring>

namespace flowkit {
using nlohmann::json;

namespace {
const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A field of j that must exist and have the given kind; errors say which and where.
const json& field(const json& j, const std::string& key, const std::string& path, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) throw Error(where + ": missing field '" + path + key + "'");
  return j.at(key);
}

int get_int(const json& j, const std::string& key, const std::string& path, const std::string& where) {
  const json& v = field(j, key, path, where);
  // an int, not a 64-bit value that get<int>() would silently cut to its low bits
  if (!v.is_number_integer() || (v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(INT32_MAX)
                                                         : v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX))
    throw Error(where + ": field '" + path + key + "' must be an integer of 32 bits");
  return v.get<int>();
}

const std::string& get_str(const json& j, const std::string& key, const std::string& path, const std::string& where) {
  const json& v = field(j, key, path, where);
  if (!v.is_string()) throw Error(where + ": field '" + path + key + "' must be a string");
  return v.get_ref<const std::string&>();
}

// A named choice: an unknown name in a file is a runtime error (exit 1), not a usage error.
template <class E>
E get_choice(const ChoiceTable<E>& t, const json& j, const std::string& key, const std::string& what,
             const std::string& where) {
  const std::string name = get_str(j, key, "", where);
  for (const auto& c : t)
    if (name == c.name) return c.value;
  throw Error(where + ": unknown " + what + " '" + name + "'; one of " + choice_names(t));
}

Vec get_vec(const json& j, const std::string& key, int64_t d, const std::string& where) {
  const json& v = field(j, key, "normalization.", where);
  if (!v.is_array() || int64_t(v.size()) != d)
    throw Error(where + ": 'normalization." + key + "' must be an array of " + std::to_string(d) + " numbers");
  Vec out(d);
  for (int64_t i = 0; i < d; ++i) {
    // finite in float, the network's precision (1e39 is a finite double but inf there)
    if (!v[size_t(i)].is_number() || !(std::abs(v[size_t(i)].get<double>()) <= FLT_MAX))
      throw Error(where + ": 'normalization." + key + "[" + std::to_string(i) +
                  "]' is not a finite number within float's range");
    out[i] = v[size_t(i)].get<float>();
  }
  return out;
}

json tensors_to_json(const Params& w, const NetConfig& cfg) {
  json arr = json::array();
  for (const ParamBlock& b : param_layout(cfg)) {
    arr.push_back({{"name", b.name}, {"shape", {b.rows, b.cols}}, {"data", floats_to_base64(w.data() + b.offset, b.size())}});
  }
  return arr;
}

// The tensors' names, shapes and value counts against the layout, before anything is allocated:
// a few kilobytes of file that declare a huge architecture are refused by their own bytes.
void check_tensors(const json& arr, const std::vector<ParamBlock>& layout, const std::string& key,
                   const std::string& where) {
  if (!arr.is_array() || arr.size() != layout.size())
    throw Error(where + ": '" + key + "' must list " + std::to_string(layout.size()) +
                " tensors for this architecture, found " + (arr.is_array() ? std::to_string(arr.size()) : "none"));
  for (size_t i = 0; i < layout.size(); ++i) {
    const ParamBlock& b = layout[i];
    const std::string at = key + "[" + std::to_string(i) + "]";
    const std::string name = get_str(arr[i], "name", at + ".", where);
    if (name != b.name) throw Error(where + ": '" + at + "' is '" + name + "', expected '" + b.name + "'");
    const json& shape = field(arr[i], "shape", at + ".", where);
    if (shape != json{b.rows, b.cols})
      throw Error(where + ": tensor '" + name + "' has shape " + shape.dump() + ", expected [" +
                  std::to_string(b.rows) + "," + std::to_string(b.cols) + "]");
    const std::string what = where + ": tensor '" + name + "'";
    const size_t count = base64_float_count(get_str(arr[i], "data", at + ".", where), what);
    if (count != b.size())
      throw Error(what + " holds " + std::to_string(count) + " values, expected " + std::to_string(b.size()));
  }
}

Params tensors_from_json(const json& arr, const NetConfig& cfg, const std::string& key,
                                     const std::string& where) {
  const auto layout = param_layout(cfg);
  check_tensors(arr, layout, key, where);
  Params w(param_count(cfg));
  for (size_t i = 0; i < layout.size(); ++i) {
    const ParamBlock& b = layout[i];
    const std::string what = where + ": tensor '" + b.name + "'";
    float* out = w.data() + b.offset;  // decoded in place: a model can be megabytes
    base64_to_floats(arr[i]["data"].get_ref<const std::string&>(), out, what);
    for (size_t k = 0; k < b.size(); ++k)
      if (!std::isfinite(out[k])) throw Error(what + " value " + std::to_string(k) + " is not finite");
  }
  return w;
}

// Names an architecture field the file has and this kind does not take.
void check_fields(const json& a, std::initializer_list<const char*> known, const std::string& where) {
  for (const auto& item : a.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || item.key() == k;
    if (!ok) throw Error(where + ": unknown field 'architecture." + item.key() + "' for this network kind");
  }
}

// The U-Net's settings; its image (height, width, channels) is the model's sample shape.
void unet_from_json(const json& a, const std::vector<int64_t>& shape, NetConfig& c, const std::string& where) {
  check_fields(a, {"kind", "channels", "blocks", "embed", "groups", "time_freqs", "num_classes", "token_embed", "time_inputs"},
               where);
  UNetConfig& u = c.unet;
  const json& ch = field(a, "channels", "architecture.", where);
  if (!ch.is_array() || ch.empty()) throw Error(where + ": 'architecture.channels' must be an array of counts");
  u.channels.clear();
  for (const auto& v : ch) {
    if (!v.is_number_integer()) throw Error(where + ": 'architecture.channels' must hold integers");
    u.channels.push_back(v.get<int>());
  }
  u.blocks = get_int(a, "blocks", "architecture.", where);
  u.embed = get_int(a, "embed", "architecture.", where);
  u.groups = get_int(a, "groups", "architecture.", where);
  if (a.contains("token_embed")) u.token_embed = get_int(a, "token_embed", "architecture.", where);  // over tokens
  if (shape.size() != 2 && shape.size() != 3)
    throw Error(where + ": a U-Net model needs an image 'shape' [H, W] or [H, W, C]");
  u.height = int(shape[0]);
  u.width = int(shape[1]);
  u.image_channels = shape.size() == 3 ? int(shape[2]) : 1;
}

NetConfig net_from_json(const json& a, int dim, const std::vector<int64_t>& shape, const std::string& where) {
  NetConfig c;
  c.dim = dim;
  if (a.is_object() && a.contains("kind"))
    c.kind = get_choice(net_kinds(), a, "kind", "network kind", where);
  c.time_freqs = get_int(a, "time_freqs", "architecture.", where);
  c.num_classes = get_int(a, "num_classes", "architecture.", where);
  if (a.contains("time_inputs")) c.time_inputs = get_int(a, "time_inputs", "architecture.", where);  // absent: 1
  if (c.kind == NetKind::unet) {
    unet_from_json(a, shape, c, where);
  } else {
    check_fields(a, {"kind", "width", "depth", "activation", "time_freqs", "residual", "num_classes", "periodic",
                     "time_inputs", "harmonics"},
                 where);
    c.width = get_int(a, "width", "architecture.", where);
    c.depth = get_int(a, "depth", "architecture.", where);
    const json& r = field(a, "residual", "architecture.", where);
    if (!r.is_boolean()) throw Error(where + ": field 'architecture.residual' must be true or false");
    c.residual = r.get<bool>();
    c.activation = get_choice(activations(), a, "activation", "activation", where);
    if (a.contains("periodic")) {  // absent from models written before the torus
      if (!a["periodic"].is_boolean()) throw Error(where + ": field 'architecture.periodic' must be true or false");
      c.periodic = a["periodic"].get<bool>();
    }
    if (a.contains("harmonics")) c.harmonics = get_int(a, "harmonics", "architecture.", where);  // absent: 1
  }
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(where + ": bad architecture: " + e.what());
  }
  return c;
}

}  // namespace

// The architecture section of either kind.
json net_to_json(const NetConfig& c) {
  if (c.kind == NetKind::unet) {
    json u = {{"kind", "unet"},
              {"channels", c.unet.channels},
              {"blocks", c.unet.blocks},
              {"embed", c.unet.embed},
              {"groups", c.unet.groups},
              {"time_freqs", c.time_freqs},
              {"num_classes", c.num_classes}};
    if (c.tokens()) u["token_embed"] = c.unet.token_embed;
    if (c.time_inputs != 1) u["time_inputs"] = c.time_inputs;
    return u;
  }
  json a = {{"width", c.width},
            {"depth", c.depth},
            {"activation", choice_name(activations(), c.activation)},
            {"time_freqs", c.time_freqs},
            {"residual", c.residual},
            {"num_classes", c.num_classes}};
  if (c.periodic) a["periodic"] = true;
  if (c.time_inputs != 1) a["time_inputs"] = c.time_inputs;
  if (c.harmonics != 1) a["harmonics"] = c.harmonics;
  return a;
}

std::string floats_to_base64(const float* v, size_t n) {
  std::vector<unsigned char> bytes(n * 4);
  for (size_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, &v[i], 4);
    for (int k = 0; k < 4; ++k) bytes[4 * i + size_t(k)] = (u >> (8 * k)) & 0xFF;
  }
  std::string s;
  s.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t n = (uint32_t(bytes[i]) << 16) | (i + 1 < bytes.size() ? uint32_t(bytes[i + 1]) << 8 : 0) |
                       (i + 2 < bytes.size() ? uint32_t(bytes[i + 2]) : 0);
    s += kB64[(n >> 18) & 63];
    s += kB64[(n >> 12) & 63];
    s += i + 1 < bytes.size() ? kB64[(n >> 6) & 63] : '=';
    s += i + 2 < bytes.size() ? kB64[n & 63] : '=';
  }
  return s;
}

size_t base64_float_count(const std::string& s, const std::string& where) {
  if (s.size() % 4 != 0) throw Error(where + ": base64 length " + std::to_string(s.size()) + " is not a multiple of 4");
  const size_t pad = s.size() >= 4 ? size_t(s[s.size() - 1] == '=') + size_t(s[s.size() - 2] == '=') : 0;
  const size_t nbytes = s.size() / 4 * 3 - pad;
  if (nbytes % 4 != 0) throw Error(where + ": " + std::to_string(nbytes) + " bytes is not whole float32 values");
  return nbytes / 4;
}

std::vector<float> base64_to_floats(const std::string& s, const std::string& where) {
  std::vector<float> v(base64_float_count(s, where));
  base64_to_floats(s, v.data(), where);
  return v;
}

void base64_to_floats(const std::string& s, float* out, const std::string& where) {
  const size_t nbytes = base64_float_count(s, where) * 4;
  const size_t pad = s.size() / 4 * 3 - nbytes;
  // The value of each byte as a base64 digit, -1 for any other byte
  static const std::array<int8_t, 256> digit = [] {
    std::array<int8_t, 256> a;
    a.fill(-1);
    for (int i = 0; i < 64; ++i) a[static_cast<unsigned char>(kB64[i])] = int8_t(i);
    return a;
  }();
  // The bytes go straight into the floats (little-endian; swapped below on a big-endian host)
  auto* bytes = reinterpret_cast<unsigned char*>(out);
  const auto* c = reinterpret_cast<const unsigned char*>(s.data());
  size_t nb = 0, i = 0;
  // Every quad but the last has no padding: four table look-ups, one check, three bytes
  for (; i + 4 < s.size(); i += 4, nb += 3) {
    const int a = digit[c[i]], b = digit[c[i + 1]], d2 = digit[c[i + 2]], d3 = digit[c[i + 3]];
    if ((a | b | d2 | d3) < 0) break;  // a bad character: the general loop below names it
    const uint32_t n = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(d2) << 6 | uint32_t(d3);
    bytes[nb] = (n >> 16) & 0xFF;
    bytes[nb + 1] = (n >> 8) & 0xFF;
    bytes[nb + 2] = n & 0xFF;
  }
  for (; i < s.size(); i += 4) {
    const bool last = i + 4 == s.size();
    uint32_t n = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int d = digit[c[i + k]];
      if (d < 0 && !(last && k >= 4 - pad)) throw Error(where + ": bad base64 character at offset " + std::to_string(i + k));
      n = (n << 6) | uint32_t(d < 0 ? 0 : d);
    }
    for (int k = 0; k < 3 && nb < nbytes; ++k) bytes[nb++] = (n >> (16 - 8 * k)) & 0xFF;
  }
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  for (size_t k = 0; k < nbytes / 4; ++k) {
    uint32_t u;
    std::memcpy(&u, &out[k], 4);
    u = __builtin_bswap32(u);
    std::memcpy(&out[k], &u, 4);
  }
#endif
}

void output_affine(Predict p, const Vec& mean, const Vec& scale, Vec& out_scale, Vec& out_shift) {
  out_scale = p == Predict::noise ? Vec::Ones(mean.size()) : scale;
  out_shift = p == Predict::data ? mean : Vec::Zero(mean.size());
}

double sigma_min_of(const nlohmann::json& training, const std::string& where) {
  if (!training.is_object() || !training.contains("sigma_min")) return 0.0;
  const nlohmann::json& v = training["sigma_min"];
  if (!v.is_number() || !(v.get<double>() >= 0) || !std::isfinite(v.get<double>()))
    throw Error(where + ": 'training.sigma_min' must be a number >= 0, got " + v.dump());
  return v.get<double>();
}

const ChoiceTable<Objective>& objectives() {
  static const ChoiceTable<Objective> t = {
      {"flow-matching", Objective::flow_matching, "regress the velocity field (any sampler, exact log densities)"},
      {"meanflow", Objective::meanflow,
       "MeanFlow (Geng et al. 2025): the average velocity u(x, r, t) over [r, t], one network pass per step "
       "(velocity, no log density)"},
      {"shortcut", Objective::shortcut,
       "shortcut model (Frans et al. 2024): the same average velocity, learned by self-consistency "
       "u(x, r, r + 2d) = mean of two steps of d; no JVP, no log density"},
      {"distill", Objective::distill,
       "rectified flow's distillation: the one-step map of the fixed pairs of --pairs (a teacher's noise and "
       "samples), the network at t = 0 regressing x1 - x0; one pass per sample, one step only, no log density"},
  };
  return t;
}

namespace {
// A discrete model's document: the path instead of normalization, schedule and prediction.
json discrete_to_json(const LearnedModel& m) {
  const NetConfig& c = m.net;
  json j = {{"format", kModelFormat},
            {"version", kModelVersion},
            {"type", "discrete"},
            {"length", c.dim},
            {"shape", m.shape},
            {"vocab", m.discrete.vocab},
            {"source", choice_name(discrete_sources(), m.discrete.source)},
            {"kappa", m.discrete.kappa.name()},
            {"architecture", net_to_json(c)},
            {"training", m.training},
            {"sampling_weights", m.use_ema && !m.ema.empty() ? "ema" : "weights"},
            {"weights", tensors_to_json(m.weights, c)}};
  if (!m.ema.empty()) j["ema_weights"] = tensors_to_json(m.ema, c);
  return j;
}

// The shape of one sample, whose sizes multiply to dim.
std::vector<int64_t> shape_from_json(const json& j, int dim, const std::string& where) {
  std::vector<int64_t> out;
  const json& shape = field(j, "shape", "", where);
  int64_t prod = 1;
  if (!shape.is_array() || shape.empty()) throw Error(where + ": 'shape' must be a non-empty array of sizes");
  for (const auto& s : shape) {
    // Each size divides dim, so the product never overflows (a hostile [2^62 + 7, 112] would
    // wrap to 784 and pass)
    if (!s.is_number_integer() || (s.is_number_unsigned() ? s.get<uint64_t>() < 1 : s.get<int64_t>() < 1)) throw Error(where + ": 'shape' " + shape.dump() + " has a bad size");
    // (a size over 2^63 reads as negative through get<int64_t>: compare it unsigned)
    if (s.get<uint64_t>() > uint64_t(dim / prod)) break;  // refused below, before it can wrap
    out.push_back(s.get<int64_t>());
    prod *= out.back();
  }
  if (prod != dim || out.size() != shape.size()) throw Error(where + ": 'shape' " + shape.dump() + " does not hold 'dim' " + std::to_string(dim) + " values");
  return out;
}

// The rest of a discrete model's document (after its header).
void discrete_from_json(const json& j, LearnedModel& m, const std::string& where) {
  const int L = get_int(j, "length", "", where);
  if (L < 1) throw Error(where + ": 'length' must be positive, got " + std::to_string(L));
  m.shape = shape_from_json(j, L, where);
  m.discrete.vocab = get_int(j, "vocab", "", where);
  if (m.discrete.vocab < 1 || m.discrete.vocab > kMaxVocab)
    throw Error(where + ": 'vocab' must be in 1.." + std::to_string(kMaxVocab));
  m.discrete.source = get_choice(discrete_sources(), j, "source", "source", where);
  try {
    m.discrete.kappa = Schedule::parse(get_str(j, "kappa", "", where));
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  json a = field(j, "architecture", "", where);
  m.net = net_from_json(a, L, m.shape, where);
  m.net.token_states = m.discrete.states();
  m.net.token_vocab = m.discrete.vocab;
  try {
    m.net.validate();
  } catch (const Error& e) {
    throw Error(where + ": bad architecture: " + e.what());
  }
}
}  // namespace

json model_to_json(const LearnedModel& m) {
  if (m.is_discrete()) return discrete_to_json(m);
  const NetConfig& c = m.net;
  json j = {{"format", kModelFormat},
            {"version", kModelVersion},
            {"type", "learned"},
            {"dim", c.dim},
            {"shape", m.shape},
            {"normalization",
             {{"mean", std::vector<float>(m.mean.data(), m.mean.data() + m.mean.size())},
              {"scale", std::vector<float>(m.scale.data(), m.scale.data() + m.scale.size())}}},
            {"schedule", m.schedule.name()},
            {"predict", choice_name(predictions(), m.predict)},
            {"source", m.source_data ? "data" : "gaussian"},
            {"architecture", net_to_json(c)},
            {"training", m.training},
            {"sampling_weights", m.use_ema && !m.ema.empty() ? "ema" : "weights"},
            {"weights", tensors_to_json(m.weights, c)}};
  if (!m.ema.empty()) j["ema_weights"] = tensors_to_json(m.ema, c);
  if (m.objective != Objective::flow_matching) j["objective"] = choice_name(objectives(), m.objective);
  manifold_to_json(m.manifold, j);
  return j;
}

namespace {
// A flow's document after its header: dim, shape, normalization, schedule, prediction, source,
// manifold and architecture.
void flow_config_from_json(const json& j, LearnedModel& m, const std::string& where) {
  const int dim = get_int(j, "dim", "", where);
  if (dim < 1) throw Error(where + ": 'dim' must be positive, got " + std::to_string(dim));
  m.shape = shape_from_json(j, dim, where);
  const json& norm = field(j, "normalization", "", where);
  m.mean = get_vec(norm, "mean", dim, where);
  m.scale = get_vec(norm, "scale", dim, where);
  // A subnormal scale's inverse overflows float (1e-44: every field value nan, samples +inf)
  if (!(m.scale.array() >= std::numeric_limits<float>::min()).all())
    throw Error(where + ": 'normalization.scale' must be positive, at least 1.2e-38 (float's smallest normal)");
  try {
    m.schedule = Schedule::parse(get_str(j, "schedule", "", where));
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  m.predict = get_choice(predictions(), j, "predict", "prediction", where);
  const std::string source = get_str(j, "source", "", where);
  m.manifold = manifold_from_json(j, where);
  if (!m.manifold.curved() && source != "gaussian" && source != "data")
    throw Error(where + ": 'source' must be 'gaussian' or 'data', got '" + source + "'");
  m.source_data = source == "data";
  m.net = net_from_json(field(j, "architecture", "", where), dim, m.shape, where);
  // The torus's network sees sin kx, cos kx (flow-train sets it); the raw angles would cut the
  // field at the seam, and only the torus takes angles
  if (m.net.kind == NetKind::mlp && m.net.periodic != (m.manifold.kind == ManifoldKind::torus))
    throw Error(where + ": 'architecture.periodic' must be " + (m.net.periodic ? "false" : "true") + " for a " +
                (m.manifold.kind == ManifoldKind::torus ? "torus" : "model not on the torus"));
}
}  // namespace

LearnedModel model_config_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": a model file is a JSON object");
  const std::string format = get_str(j, "format", "", where);
  if (format != kModelFormat) throw Error(where + ": format is '" + format + "', expected '" + kModelFormat + "'");
  const int version = get_int(j, "version", "", where);
  if (version != kModelVersion)
    throw Error(where + ": model version " + std::to_string(version) + " is not supported (this flowkit reads version " +
                std::to_string(kModelVersion) + ")");
  const bool discrete = j.contains("type") && j["type"] == "discrete";
  if (j.contains("type") && j["type"] != "learned" && !discrete)
    throw Error(where + ": not a learned model (type " + j["type"].dump() + ")");
  LearnedModel m;
  if (discrete) {
    discrete_from_json(j, m, where);
  } else {
    flow_config_from_json(j, m, where);
  }
  const std::string use = j.contains("sampling_weights") ? get_str(j, "sampling_weights", "", where) : "ema";
  if (use != "ema" && use != "weights") throw Error(where + ": 'sampling_weights' must be 'ema' or 'weights'");
  m.use_ema = use == "ema";
  if (j.contains("training")) m.training = j["training"];
  if (j.contains("objective")) m.objective = get_choice(objectives(), j, "objective", "objective", where);
  // A MeanFlow or shortcut net takes (x, r, t - r); a flow-matching or distilled one (x, t)
  const bool mean = average_velocity(m.objective), two = two_times(m.objective);
  if (m.net.time_inputs != (two ? 2 : 1))
    throw Error(where + ": a " + choice_name(objectives(), m.objective) + " model's network takes " +
                (two ? "2 time inputs" : "1 time input") + ", the architecture says " +
                std::to_string(m.net.time_inputs));
  if (mean && (discrete || m.predict != Predict::velocity || m.manifold.curved() || m.source_data))
    throw Error(where + ": a " + choice_name(objectives(), m.objective) +
                " model predicts the velocity from N(0, I) in flat space");
  if (!discrete) m.schedule.sigma_min = sigma_min_of(m.training, where);
  return m;
}


void check_sampling_weights(const LearnedModel& m, const json& j, const std::string& ema_name, const std::string& where) {
  if (m.use_ema && m.ema.empty() && j.contains("sampling_weights"))
    throw Error(where + ": 'sampling_weights' is 'ema' but the file has no '" + ema_name + "'");
}

LearnedModel model_from_json(const json& j, const std::string& where) {
  LearnedModel m = model_config_from_json(j, where);
  m.weights = tensors_from_json(field(j, "weights", "", where), m.net, "weights", where);
  if (j.contains("ema_weights")) m.ema = tensors_from_json(j["ema_weights"], m.net, "ema_weights", where);
  check_sampling_weights(m, j, "ema_weights", where);
  return m;
}

}  // namespace flowkit
