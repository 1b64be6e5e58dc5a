// filter/core/outcome_json.h — a consumer of MessageOutcome: the whole outcome as one JSON object
// (`authmilter test-message --json`). Every field of the outcome is there, under snake_case names;
// absent optional parts are null. Written with the one JSON writer (common/json.h). Thread-safe.
#pragma once
#include <string>

#include "common/json.h"
#include "filter/core/outcome.h"

namespace am::core {

// Writes the outcome as one object value (the writer may be inside an object, after a key).
void writeOutcomeJson(json::Writer& w, const MessageOutcome& o);

}  // namespace am::core
