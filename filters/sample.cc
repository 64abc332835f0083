// Sample parsing and field access.
#include "filters/sample.h"

#include "base/line_reader.h"

namespace kgf::filters {

Result<Sample> Sample::Parse(std::string line, std::string where) {
  if (!IsValidUtf8(line)) {
    return InvalidArgumentError(where + ": invalid UTF-8 bytes; re-encode the file as UTF-8");
  }
  Sample s;
  // rapidjson's default pool grows in 64 KiB blocks: a chunk of 30,000 short records would
  // hold 2 GB. A pool sized to the line holds the DOM (values and copied strings) in one block.
  s.pool_ = std::make_unique<JsonPool>(2 * line.size() + 512);
  s.doc_ = std::make_unique<JsonDoc>(s.pool_.get());
  KGF_RETURN_IF_ERROR(ParseJsonInto(line, where, s.doc_.get()));
  if (!s.doc_->IsObject()) {
    return InvalidArgumentError(where + ": a record must be a JSON object, one per line");
  }
  s.line_ = std::move(line);
  s.where_ = std::move(where);
  return s;
}

std::string Sample::Json() const { return modified_ ? JsonToString(*doc_) : line_; }

Result<std::string_view> Sample::GetString(const std::string& field) const {
  auto it = doc_->FindMember(field.c_str());
  if (it == doc_->MemberEnd()) {
    return InvalidArgumentError(where_ + ": field '" + field + "' missing");
  }
  if (!it->value.IsString()) {
    return InvalidArgumentError(where_ + ": field '" + field + "' must be a string");
  }
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}

void Sample::SetString(const std::string& field, std::string_view value) {
  auto& alloc = doc_->GetAllocator();
  JsonValue v(value.data(), static_cast<rapidjson::SizeType>(value.size()), alloc);
  auto it = doc_->FindMember(field.c_str());
  if (it == doc_->MemberEnd()) {
    doc_->AddMember(JsonValue(field.c_str(), alloc), v, alloc);
  } else {
    it->value = v;
  }
  modified_ = true;
  parsed_.reset();
}


}  // namespace kgf::filters
