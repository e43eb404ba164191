// flow-eval: log densities, field values, sample quality and path statistics.
#include "flowkit/eval_cli.hpp"

using namespace flowkit;

int main(int argc, char** argv) {
  cli::Common c;
  cli::LogpFlags logp;
  cli::FieldFlags field;
  cli::CompareFlags compare;
  cli::PathsFlags paths;
  return cli::run("flow-eval", "Evaluates models and samples: log density, field values, sample quality, paths.",
                  argc, argv, [&](CLI::App& app) {
                    cli::add_logp(app, logp, c);
                    cli::add_field(app, field, c);
                    cli::add_compare(app, compare, c);
                    cli::add_paths(app, paths, c);
                    app.require_subcommand(1);
                  });
}
