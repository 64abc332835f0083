// Small helpers for the trainer's JSON state files (trainer_state.json, metrics): doubles that
// read back bit-identically (resume must reproduce the run exactly, and RapidJSON's default
// number parsing is not guaranteed to be correctly rounded), and readable doubles for people.
#ifndef KGF_TRAINER_IO_STATE_JSON_H_
#define KGF_TRAINER_IO_STATE_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace kgf::trainer {

// printf("%.17g"), or "null" for NaN/Inf: for people and plotting scripts.
std::string JsonDouble(double x);
// The IEEE-754 bits as a quoted 16-digit hex string ("\"3ff0000000000000\""): exact.
std::string JsonExactDouble(double x);
// Reads a JsonExactDouble field. Errors: InvalidArgument naming `where` and the field.
Result<double> JsonGetExactDouble(const JsonValue& obj, const char* field, std::string_view where);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_IO_STATE_JSON_H_
