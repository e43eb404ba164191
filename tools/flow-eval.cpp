// flow-eval: log densities, field values, sample quality and path statistics.
#include "flowkit/cli/discrete.hpp"
#include "flowkit/cli/eval.hpp"

using namespace flowkit;

int main(int argc, char** argv) {
  cli::Common c;
  cli::LogpFlags logp;
  cli::FieldFlags field;
  cli::CompareFlags compare;
  cli::PathsFlags paths;
  cli::ElboFlags elbo;
  return cli::run("flow-eval", "Evaluates models and samples: log density, field values, sample quality, paths.",
                  argc, argv, [&](CLI::App& app) {
                    cli::add_logp(app, logp, c);
                    cli::add_field(app, field, c);
                    cli::add_compare(app, compare, c);
                    cli::add_paths(app, paths, c);
                    cli::add_elbo(app, elbo, c);
                    app.require_subcommand(1);
                    // An unknown subcommand is named, with the list of known ones
                    if (argc > 1 && argv[1][0] != '-') {
                      std::string names;
                      bool known = false;
                      for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
                        names += (names.empty() ? "" : ", ") + sub->get_name();
                        known = known || sub->get_name() == argv[1];
                      }
                      if (!known)
                        throw usage_error("unknown subcommand '" + std::string(argv[1]) + "'; one of " + names);
                    }
                  });
}
