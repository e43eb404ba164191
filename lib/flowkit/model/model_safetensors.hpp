// model: the safetensors form of a learned model file. Every named parameter block of the
// network becomes one F32 tensor, "weights.BLOCK" and (when there is an EMA) "ema.BLOCK", in
// C order with shape [rows, cols] ([rows] for a column), in param_layout order; the header's
// "__metadata__" key "flowkit" holds the JSON model document without its tensors. Generic over
// the blocks: any network whose parameters are one flat vector described by named blocks.
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "flowkit/io/safetensors.hpp"
#include "flowkit/model/model.hpp"

namespace flowkit {

constexpr const char* kMetadataKey = "flowkit";

enum class ModelFormat { json, safetensors };
// The form a model file written to `path` takes: safetensors for a .safetensors name.
ModelFormat model_format_for(const std::string& path);

void write_model_safetensors(std::ostream& os, const LearnedModel& m);
// Writes the model document `doc` (a learned model for safetensors) in the given form.
void write_model(std::ostream& os, const nlohmann::json& doc, ModelFormat f, const std::string& where);

// The learned model of a checked safetensors file: its configuration from the metadata, its
// tensors checked against the architecture's blocks (names, shapes, finite values). `config`,
// when given, receives the configuration document. `sampling_only`: only the set sampling
// uses is read (the other's names and shapes are checked, and it stays empty), for a field.
LearnedModel model_from_safetensors(const safetensors::File& f, nlohmann::json* config = nullptr,
                                    bool sampling_only = false);

// A flat parameter vector and its named blocks, as tensors PREFIX.NAME (C order) and back.
// `scratch` keeps the transposed values alive until they are written.
void blocks_to_tensors(const std::string& prefix, const std::vector<ParamBlock>& layout, const Params& p,
                       std::vector<safetensors::Out>& out, std::vector<std::vector<float>>& scratch);
// `values` false: names and shapes checked only, an empty vector returned.
Params blocks_from_tensors(const safetensors::File& f, const std::string& prefix, const std::vector<ParamBlock>& layout,
                           bool values = true);

}  // namespace flowkit
