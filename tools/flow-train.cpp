// flow-train: learns a flow-matching vector field (or the average velocity of MeanFlow or a
// shortcut model, or a teacher's one-step map by distillation) from a data stream (or a
// built-in toy distribution, or a teacher's pairs) and writes the model file.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <iostream>
#include <set>

#include "flowkit/cli/cli.hpp"
#include "flowkit/cli/mpi.hpp"
#include "flowkit/data/data.hpp"
#include "flowkit/io/tokens.hpp"
#include "flowkit/model/field_file.hpp"
#include "flowkit/train/train.hpp"

using namespace flowkit;

namespace {
struct Options {
  cli::Common common;
  std::string data, toy, source, schedule = "linear", predict = "velocity", activation = "silu";
  std::string decay = "cosine", optimizer = "adam", t_dist = "uniform", coupling = "independent";
  std::string objective = "flow-matching";
  std::string checkpoint, resume, convert, net = "mlp", channels = "32,64", dequantize, exchange = "auto", pairs, manifold = "euclidean";
  std::string kappa = "poly:2", loss = "ce", init;
  int vocab = 0;
  int64_t checkpoint_every = 0;
  TrainConfig cfg;
};

// SIGINT / SIGTERM: the handler only records the signal; the loop checks it between steps.
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) { g_signal = sig; }

void catch_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

// The default training run: the checkerboard in about two minutes on two cores. For a fixed
// budget, many steps of a narrower network at a high peak rate (cosine decay to 0) give
// sharper cells than fewer steps of a wider one or larger batches (measured: on-cell fraction).
TrainConfig defaults() {
  TrainConfig c;
  c.net.width = 128;
  c.net.depth = 3;
  c.net.time_freqs = 8;
  c.steps = 50000;
  c.batch = 256;
  c.optim.lr = 1e-2;
  c.optim.warmup = 500;
  c.optim.clip = 1.0;
  c.ema = 0.999;
  return c;
}

void define(CLI::App& app, Options& o) {
  TrainConfig& c = o.cfg;
  app.add_option("data", o.data, "training data: points (n, d) or images (n, H, W[, C]); '-' is standard input "
                                 "(default: the --toy distribution); an integer NPY file (n, L) or (n, H, W) is "
                                 "token data and trains a discrete flow");
  cli::add_output(app, o.common, "model file to write (default model.json; a name ending in .safetensors: "
                                 "safetensors; '-' is standard output, JSON)");
  app.add_option("--convert", o.convert, "no training: write the model file IN (JSON or safetensors) to -o in "
                                         "-o's form, losslessly");
  app.add_option("--toy", o.toy, "train on a built-in distribution, an endless source (default checkerboard): " +
                                     choice_names(toys()));
  app.add_option("--steps", c.steps, "optimization steps")->capture_default_str();
  app.add_option("--batch", c.batch, "points per mini-batch")->capture_default_str();
  app.add_option("--lr", c.optim.lr, "peak learning rate")->capture_default_str();
  app.add_option("--warmup", c.optim.warmup, "steps of linear learning-rate warm-up")->capture_default_str();
  app.add_option("--decay", o.decay, "learning-rate decay after warm-up:\n" + choice_help(decays()))->capture_default_str();
  app.add_option("--optimizer", o.optimizer, "optimizer:\n" + choice_help(optimizers()))->capture_default_str();
  app.add_option("--weight-decay", c.optim.weight_decay, "weight decay")->capture_default_str();
  app.add_option("--clip", c.optim.clip, "clip the gradient norm to this (0: off)")->capture_default_str();
  app.add_option("--ema", c.ema, "decay of the weights' moving average, used for sampling (0: off)")->capture_default_str();
  app.add_option("--net", o.net, "network:\n" + choice_help(net_kinds()))->capture_default_str();
  app.add_option("--width", c.net.width, "hidden units per layer")->capture_default_str();
  app.add_option("--depth", c.net.depth, "hidden layers (residual blocks with --residual)")->capture_default_str();
  app.add_option("--activation", o.activation, "activation:\n" + choice_help(activations()))->capture_default_str();
  app.add_option("--harmonics", c.net.harmonics,
                 "--manifold torus: the network sees sin kx, cos kx of the angles for k = 1..K (finer periodic detail)")
      ->capture_default_str();
  app.add_option("--time-freqs", c.net.time_freqs, "Fourier features sin/cos(pi 2^k t), k < K, of the time (0: raw t); "
                 "a MeanFlow U-Net's default is " + std::to_string(kMeanFlowUNetTimeFreqs))
      ->capture_default_str();
  app.add_flag("--residual", c.net.residual, "residual blocks with layer norm (for deeper networks)");
  app.add_option("--channels", o.channels, "--net unet: channels per level, comma-separated (the image halves "
                                           "from one level to the next)")
      ->capture_default_str();
  app.add_option("--blocks", c.net.unet.blocks, "--net unet: residual blocks per level")->capture_default_str();
  app.add_option("--embed", c.net.unet.embed, "--net unet: width of the time and label embedding")->capture_default_str();
  app.add_option("--groups", c.net.unet.groups, "--net unet: GroupNorm groups (every channel count divisible by it)")
      ->capture_default_str();
  app.add_option("--token-embed", c.net.unet.token_embed,
                 "--net unet on token images: width of each grey level's learned embedding (the channels the "
                 "U-Net's input sees)")
      ->capture_default_str();
  app.add_option("--schedule", o.schedule, "probability path:\n" + choice_help(schedules()))->capture_default_str();
  app.add_option("--predict", o.predict, "what the network predicts:\n" + choice_help(predictions()))->capture_default_str();
  app.add_option("--sigma-min", c.sigma_min, "noise on the path: x_t = a x1 + b x0 + sigma eps (I-CFM)")->capture_default_str();
  app.add_option("--t-dist", o.t_dist, "distribution of the training times:\n" + choice_help(time_dists()))->capture_default_str();
  app.add_option("--objective", o.objective, "what the network learns:\n" + choice_help(objectives()))
      ->capture_default_str();
  app.add_option("--mf-ratio", c.mf_ratio, "--objective meanflow: fraction of training pairs with r < t (the rest "
                                           "r = t); shortcut: fraction of self-consistency columns")
      ->capture_default_str();
  app.add_option("--mf-power", c.mf_power, "--objective meanflow: adaptive loss weight 1 / (|e|^2 + 0.001)^P per "
                                           "point (0: plain squared error)")
      ->capture_default_str();
  app.add_option("--mf-guidance", c.mf_guidance, "--objective meanflow|shortcut with --conditional: the guidance weight W "
                                                 "trained into the model (1: none); flow-sample --class then draws "
                                                 "guided samples in one pass per step")
      ->capture_default_str();
  app.add_option("--source", o.source, "learn a bridge from this data set instead of N(0, I); with --manifold, "
                                       "the source law:\n" + choice_help(manifold_sources()) +
                                       "\nwith token data, the source p_0 (default mask):\n" +
                                       choice_help(discrete_sources()));
  app.add_option("--kappa", o.kappa, "token data: the mixture path's kappa(t), a schedule's a(t) (poly:n is t^n):\n" +
                                     choice_help(schedules()))
      ->capture_default_str();
  app.add_option("--loss", o.loss, "token data: the loss on the network's posterior:\n" + choice_help(discrete_losses()))
      ->capture_default_str();
  app.add_option("--vocab", o.vocab, "token data: the vocabulary V, tokens 0..V-1 (default: the largest token + 1)");
  app.add_option("--manifold", o.manifold, "the space the data live on:\n" + choice_help(manifolds()))
      ->capture_default_str();
  app.add_option("--coupling", o.coupling, "pairing of x0 and x1 in a batch:\n" + choice_help(couplings()))->capture_default_str();
  app.add_option("--pairs", o.pairs, "train on the fixed (noise, sample) pairs of FILE, (n, 2, ...) from flow-sample "
                                     "--pairs, instead of training data (reflow: --coupling pairs; labels travel "
                                     "with the pairs)");
  app.add_option("--init", o.init, "start from the network of the trained model MODEL (JSON or safetensors): its "
                                   "architecture, sampling weights and normalization, with a fresh optimizer; the "
                                   "data must have its shape and classes (distillation: --objective distill "
                                   "--pairs FILE; fine-tuning)");
  app.add_option("--sinkhorn-eps", c.sinkhorn_eps, "entropic regularization of --coupling sinkhorn, relative to the mean cost")
      ->capture_default_str();
  app.add_option("--val-fraction", c.val_fraction, "hold out this fraction of the data for a validation loss")->capture_default_str();
  app.add_flag("--conditional", c.conditional, "learn net(x, t, y) from the labels (the stream's companion array)");
  app.add_option("--cond-drop", c.cond_drop, "probability of dropping a label (classifier-free guidance; --objective distill takes 0 only)")->capture_default_str();
  app.add_flag("--dequantize{auto}", o.dequantize,
               "quantized data k / (L - 1) in [0, 1]: add fresh U[0, 1/(L - 1)) noise to every batch, for an "
               "honest flow-eval --bpd --dequantize; --dequantize=L gives L, plain --dequantize finds L in the "
               "data (17 for the digits, 256 for 8-bit images)");
  cli::add_seed(app, o.common);
  cli::add_threads(app, o.common);
  app.add_option("--shards", c.shards, "split each batch into N gradient shards over all processes (mpirun) and "
                                       "threads, summed in shard order: the same N gives the same bits with any "
                                       "process and thread count (default 0: one per thread of each process)");
  app.add_option("--exchange", o.exchange, "how the processes of mpirun combine their gradients:\n" +
                                               choice_help(exchanges()))
      ->capture_default_str();
  cli::add_quiet_log(app, o.common);
  app.add_option("--checkpoint-every", o.checkpoint_every, "write a checkpoint every N steps (0: never)");
  app.add_option("--checkpoint", o.checkpoint, "checkpoint file (default MODEL.ckpt)");
  app.add_option("--resume", o.resume, "continue from a checkpoint (its settings; --steps may extend the run)");
}

// Fails early, before any training, when the output cannot be written.
void check_writable(const std::string& path) {
  if (path.empty() || path == "-") return;
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  if (::access(dir.c_str(), W_OK) != 0)
    throw Error("cannot write " + path + ": " + std::strerror(errno) + " (directory " + dir + ")");
}

nlohmann::json read_checkpoint(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open checkpoint " + path + ": " + std::strerror(errno));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not a JSON checkpoint: " + e.what());
  }
}

// The settings of a resumed run: the checkpoint's, with --steps from the command line if given.
// --resume continues the checkpoint's run: a flag that would change its settings is refused,
// not silently dropped (--lr 0.5 gave the bytes of the run without it); the data, the run's
// length and how it runs (threads, shards, files) may be given.
void check_resume_flags(const CLI::App& app) {
  static const std::set<std::string> kept = {"help",  "version",  "output",           "steps",      "threads",
                                             "shards", "exchange", "quiet",            "log",        "checkpoint-every",
                                             "checkpoint", "resume", "pairs",          "source",     "data"};
  for (const CLI::Option* opt : app.get_options()) {
    const auto& l = opt->get_lnames();
    const std::string name = l.empty() ? opt->get_name() : l.front();
    if (opt->count() > 0 && !kept.count(name))
      throw usage_error("--resume continues the checkpoint's settings, which --" + name +
                        " would change; start a new run for that");
  }
}

void settings_from_checkpoint(Options& o, const nlohmann::json& ck, bool steps_given) {
  const LearnedModel m = model_from_json(ck, o.resume);
  TrainConfig c = TrainConfig::from_json(ck.at("training"), o.resume);
  c.net = m.net;
  c.schedule = m.schedule;
  c.predict = m.predict;
  c.manifold = m.manifold;
  c.discrete = m.discrete;
  o.vocab = m.discrete.vocab;
  if (steps_given) c.steps = o.cfg.steps;
  c.shards = o.cfg.shards;
  c.exchange = o.cfg.exchange;
  o.cfg = c;
  o.toy = c.toy;
}

// --dequantize[=L]: absent 0, plain kDequantizeAuto, else L (checked by TrainConfig::validate).
int parse_dequantize(const std::string& v) {
  if (v.empty()) return 0;
  return v == "auto" ? kDequantizeAuto : cli::parse_levels(v);
}

void check_run_flags(Options& o) {
  if (o.checkpoint_every < 0) throw usage_error("--checkpoint-every must be 0 or positive");
  if (o.cfg.shards < 0) throw usage_error("--shards must be 0 (one per thread) or positive");
  o.cfg.dequantize = parse_dequantize(o.dequantize);
}

void parse_names(Options& o) {
  TrainConfig& c = o.cfg;
  c.optim.decay = parse_choice(decays(), o.decay, "decay");
  c.optim.kind = parse_choice(optimizers(), o.optimizer, "optimizer");
  c.net.activation = parse_choice(activations(), o.activation, "activation");
  c.net.kind = parse_choice(net_kinds(), o.net, "network");
  c.net.unet.channels = parse_channel_list(o.channels);
  c.schedule = Schedule::parse(o.schedule);
  c.predict = parse_choice(predictions(), o.predict, "prediction");
  c.t_dist = parse_choice(time_dists(), o.t_dist, "time distribution");
  c.objective = parse_choice(objectives(), o.objective, "objective");
  c.coupling = parse_choice(couplings(), o.coupling, "coupling");
  c.exchange = parse_choice(exchanges(), o.exchange, "exchange");
  c.manifold = Manifold::parse(o.manifold);
  if (c.manifold.curved() && !o.source.empty()) {  // --source names the manifold's source law, not a file
    c.manifold.parse_source(o.source);
    o.source.clear();
  }
  c.seed = o.common.seed;
  if (!o.pairs.empty()) {
    if (!o.data.empty() || !o.toy.empty()) throw usage_error("--pairs FILE is the training data: no data or --toy besides");
    if (!o.source.empty()) throw usage_error("--pairs carry their own start points: no --source");
    if (c.coupling != Coupling::independent && c.coupling != Coupling::pairs)
      throw usage_error("--pairs fixes the coupling; drop --coupling " + o.coupling);
    c.coupling = Coupling::pairs;
    return check_run_flags(o);
  }
  if (!o.data.empty() && !o.toy.empty()) throw usage_error("give training data or --toy, not both");
  if (o.data.empty() && o.toy.empty() && c.manifold.curved())
    throw usage_error("--manifold " + c.manifold.name() + " needs a data file (points on it)");
  if (o.data.empty() && o.toy.empty()) o.toy = "checkerboard";
  c.toy = o.data.empty() ? o.toy : "";
  check_run_flags(o);
}

// Interrupted: the checkpoint (not the model) is written, and one line says where; the exit
// status is 128 + the signal (130 for SIGINT, 143 for SIGTERM). Under mpirun every process
// stops at the same step and process 0 writes.
int interrupted(const Options& o, const Trainer& trainer, bool after_bar, int sig) {
  if (cli::world().rank() > 0) return 128 + sig;
  cli::write_output(o.checkpoint, [&](std::ostream& os) { os << trainer.checkpoint_json().dump() << '\n'; });
  std::cerr << (after_bar ? "\r\033[K" : "") << "flow-train: interrupted at step " << trainer.step()
            << "; checkpoint written to " << o.checkpoint << " (resume with --resume " << o.checkpoint << ")\n";
  return 128 + sig;
}

// The flags of continuous flows, which token data has no use for, and those of token data.
const std::vector<const char*> kPointFlags = {"--schedule", "--predict", "--sigma-min", "--coupling",
                                              "--sinkhorn-eps", "--manifold", "--dequantize", "--val-fraction"};
const std::vector<const char*> kTokenFlags = {"--kappa", "--loss", "--vocab", "--token-embed"};

// Flags that only mean something beside another setting are refused without it, as
// --harmonics is without the torus (they were silently ignored).
void check_flag_companions(const Options& o, const CLI::App& app) {
  if (!o.resume.empty()) return;  // check_resume_flags refused them all
  for (const char* f : {"--channels", "--blocks", "--embed", "--groups"})
    if (app.count(f) > 0 && o.cfg.net.kind != NetKind::unet) throw usage_error(std::string(f) + " is for --net unet");
  if (app.count("--sinkhorn-eps") > 0 && o.cfg.coupling != Coupling::sinkhorn)
    throw usage_error("--sinkhorn-eps is for --coupling sinkhorn");
  for (const char* f : {"--cond-drop", "--mf-guidance"})
    if (app.count(f) > 0 && !o.cfg.conditional) throw usage_error(std::string(f) + " needs --conditional");
}

// Token data (an integer NPY file) trains a discrete flow: its flags parsed, those of points
// refused, and the other way round. A checkpoint's kind must be the data's.
void setup_kind(Options& o, const CLI::App& app, bool tokens, bool resumed_discrete) {
  if (!o.resume.empty() && tokens != resumed_discrete)
    throw Error(o.resume + (resumed_discrete ? ": a discrete model (of tokens), but the data " + o.data + " are points"
                                              : ": a flow of points, but the data " + o.data + " are tokens"));
  for (const char* f : tokens ? kPointFlags : kTokenFlags)
    if (app.count(f) > 0)
      throw usage_error(std::string(f) + (tokens ? " does not apply to token data (" + o.data + ": a discrete flow)"
                                                 : " applies to token data only (an integer NPY file)"));
  TrainConfig& c = o.cfg;
  if (!tokens && o.resume.empty() && c.objective == Objective::meanflow && c.net.kind == NetKind::unet &&
      app.count("--time-freqs") == 0)
    c.net.time_freqs = kMeanFlowUNetTimeFreqs;
  if (!tokens) return;
  if (app.count("--token-embed") > 0 && o.net != "unet") throw usage_error("--token-embed is for --net unet");
  if (!o.resume.empty()) return;  // the checkpoint's path and loss
  c.discrete.source = parse_choice(discrete_sources(), o.source.empty() ? "mask" : o.source, "source");
  o.source.clear();
  c.discrete.kappa = Schedule::parse(o.kappa);
  c.discrete_loss = parse_choice(discrete_losses(), o.loss, "loss");
  if (o.vocab < 0 || o.vocab > kMaxVocab) throw usage_error("--vocab must be in 1.." + std::to_string(kMaxVocab));
}

// --init MODEL: the run's network is the model's (the flags that would set another are
// refused); start_from checks it against the data and copies the weights.
const std::vector<const char*> kArchitectureFlags = {"--net",   "--width",  "--depth",  "--activation",
                                                     "--harmonics", "--time-freqs", "--residual", "--channels",
                                                     "--blocks", "--embed", "--groups", "--token-embed"};
std::optional<LearnedModel> init_model(Options& o, const CLI::App& app) {
  if (o.init.empty()) return std::nullopt;
  for (const char* f : kArchitectureFlags)
    if (app.count(f) > 0) throw usage_error(std::string(f) + ": the network comes from --init " + o.init);
  LearnedModel m = read_learned_model(o.init);
  check_start(m, o.cfg, {}, o.init);  // all but the data's shape, before the network's flags would be blamed
  o.cfg.net = m.net;
  o.cfg.init = o.init;
  return m;
}

// Returns 0, or the exit status of a run that a signal interrupted (128 + the signal).
int train(Options& o, const CLI::App& app, bool steps_given) {
  Comm& comm = cli::world();
  const bool writer = comm.rank() == 0;  // only process 0 writes files, logs and progress
  if (!writer) {
    o.common.quiet = true;
    o.common.log.clear();
  }
  nlohmann::json ck;
  if (!o.resume.empty()) {
    ck = read_checkpoint(o.resume);
    const std::string data = o.data;
    settings_from_checkpoint(o, ck, steps_given);  // a checkpoint's own faults first
    check_resume_flags(app);
    if (!o.cfg.toy.empty() && !data.empty())
      throw usage_error(o.resume + " trained on --toy " + o.cfg.toy + ": no data file " + data + " (a checkpoint refuses other data)");
  }
  const bool tokens = o.pairs.empty() && o.cfg.toy.empty() && is_token_npy(o.data);
  setup_kind(o, app, tokens, o.cfg.discrete.vocab > 0);
  const std::optional<LearnedModel> init = init_model(o, app);
  if (o.cfg.objective == Objective::distill && app.count("--cond-drop") == 0) o.cfg.cond_drop = 0;
  check_flag_companions(o, app);
  o.cfg.validate();
  cli::apply_threads(o.common);
  if (writer) check_writable(o.common.output);
  if (o.checkpoint.empty()) o.checkpoint = (o.common.output == "-" ? std::string("model.json") : o.common.output) + ".ckpt";
  if (writer && o.checkpoint_every > 0) check_writable(o.checkpoint);
  // Data
  TrainData data;
  if (tokens) {
    data = TrainData::from_tokens(read_tokens(o.data), o.vocab, o.data, o.cfg.conditional);
  } else if (!o.pairs.empty()) {
    const Stream pairs = read_input(o.pairs);
    if (o.cfg.objective == Objective::distill && !o.cfg.conditional && pairs.companion)  // a class's map is its own
      throw usage_error("--objective distill: the pairs of " + o.pairs + " carry labels and their map depends on them: "
                        "give --conditional");
    data = TrainData::from_pairs(pairs, o.pairs == "-" ? "<stdin>" : o.pairs, o.cfg.conditional);
  } else if (o.cfg.toy.empty()) {
    const Stream s = read_input(o.data);
    std::optional<Stream> src;
    if (!o.source.empty()) src = read_input(o.source);
    data = TrainData::from_streams(s, o.data == "-" ? "<stdin>" : o.data, src ? &*src : nullptr, o.source,
                                   o.cfg.conditional);
    if (o.cfg.manifold.curved()) o.cfg.manifold.require_points(data.target, o.data == "-" ? "<stdin>" : o.data);
  } else if (!o.source.empty()) {
    data.source = TrainData::from_streams(read_input(o.source), o.source, nullptr, "", false).target;
  }
  if (init && !data.shape.empty()) check_start(*init, o.cfg, data.shape, o.init);  // before the net's checks blame its flags
  Trainer trainer(o.cfg, std::move(data), comm);
  if (init) trainer.start_from(*init, o.init);
  if (!ck.is_null()) trainer.restore(ck, o.resume);
  // The loop, with progress, log and checkpoints
  cli::Progress progress(o.common, o.cfg.steps, "flow-train");
  const std::string exchange = choice_name(exchanges(), trainer.exchange());
  if (comm.size() > 1) progress.event({{"event", "exchange"}, {"exchange", exchange}, {"processes", comm.size()}});
  TrainHooks hooks;
  hooks.report_every = std::max<int64_t>(1, o.cfg.steps / 200);
  hooks.checkpoint_every = writer ? o.checkpoint_every : 0;
  hooks.report = [&](int64_t, double loss, std::optional<double> val) {
    nlohmann::json f = {{"loss", loss}};
    if (val) f["val_loss"] = *val;
    progress.update(trainer.step(), f);
  };
  hooks.checkpoint = [&](const nlohmann::json& j, int64_t) {
    cli::write_output(o.checkpoint, [&](std::ostream& os) { os << j.dump() << '\n'; });
  };
  // A signal to any process stops them all (one small allreduce a step under mpirun)
  int stop_signal = 0;
  hooks.stop = [&] { return (stop_signal = comm.max(int(g_signal))) != 0; };
  catch_signals();
  const nlohmann::json model = run_training(trainer, hooks);
  if (model.is_null()) {
    progress.event({{"event", "interrupted"}, {"step", trainer.step()}});
    return interrupted(o, trainer, progress.interactive(), stop_signal);
  }
  progress.finish({{"loss", trainer.smoothed_loss()}});
  if (!writer) return 0;
  cli::write_output(o.common.output, [&](std::ostream& os) {
    write_model(os, model, model_format_for(o.common.output), o.common.output);
  });
  std::string line = "trained " + std::to_string(trainer.step()) + " steps, loss " + std::to_string(trainer.smoothed_loss());
  if (model["training"].contains("final_val_loss"))
    line += ", validation loss " + std::to_string(model["training"]["final_val_loss"].get<double>());
  if (comm.size() > 1) line += "; " + std::to_string(comm.size()) + " processes, " + exchange + " exchange";
  cli::status(o.common, line);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  Options o;
  int signal_status = 0;
  o.cfg = defaults();
  o.common.output = "model.json";
  const int status = cli::run("flow-train", "Train a flow-matching vector field and write the model file.", argc, argv,
                  [&](CLI::App& app) {
                    define(app, o);
                    app.callback([&] {
                      if (!o.convert.empty()) {
                        cli::write_output(o.common.output, [&](std::ostream& os) {
                          convert_model(o.convert, os, model_format_for(o.common.output));
                        });
                        return;
                      }
                      parse_names(o);
                      signal_status = train(o, app, app.count("--steps") > 0);
                    });
                  });
  return status == 0 ? signal_status : status;
}
