// Sample parsing and field access.
#include "filters/sample.h"

#include "base/line_reader.h"

namespace kgf::filters {

Result<Sample> Sample::Parse(std::string line, std::string where) {
  if (!IsValidUtf8(line)) {
    return InvalidArgumentError(where + ": invalid UTF-8 bytes; re-encode the file as UTF-8");
  }
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(line, where));
  if (!doc.IsObject()) {
    return InvalidArgumentError(where + ": a record must be a JSON object, one per line");
  }
  Sample s;
  s.line_ = std::move(line);
  s.where_ = std::move(where);
  s.doc_ = std::make_unique<JsonDoc>(std::move(doc));
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
