// Filter construction from config objects; see the header.
#include "filters/filter_factory.h"

#include "base/file_util.h"
#include "filters/text/c4_filter.h"
#include "filters/dedup_filters.h"
#include "filters/text/fineweb_filter.h"
#include "filters/text/gopher_quality_filter.h"
#include "filters/text/gopher_repetition_filter.h"
#include "filters/text/pii_filter.h"
#include "filters/text/script_filter.h"

namespace kgf::filters {

std::vector<std::string> KnownFilterTypes(const FilterPlugins* plugins) {
  std::vector<std::string> types = {"gopher_quality", "gopher_repetition", "c4",
                                    "fineweb",        "script",            "pii",
                                    "exact_dedup",    "minhash_dedup"};
  if (plugins != nullptr) {
    for (const FilterType& t : plugins->types) types.push_back(t.name);
  }
  return types;
}

Result<std::unique_ptr<Filter>> MakeFilter(const JsonValue& spec, const FactoryContext& ctx) {
  if (!spec.IsObject()) {
    return InvalidArgumentError(ctx.where + ": a filter must be a JSON object with a \"type\"");
  }
  KGF_ASSIGN_OR_RETURN(std::string type, JsonGetString(spec, "type", ctx.where));
  std::string name = type;
  OptionReader r(spec, ctx.where + " (" + type + ")", ctx.config_dir);
  r.Consume("type");
  KGF_RETURN_IF_ERROR(r.String("name", &name));
  if (name.empty()) return InvalidArgumentError(r.where() + ": 'name' must not be empty");
  std::string field = ctx.text_field;
  std::unique_ptr<Filter> filter;
  auto read_field = [&]() { return r.String("field", &field); };
  if (type == "gopher_quality") {
    KGF_RETURN_IF_ERROR(read_field());
    GopherQualityOptions o;
    KGF_RETURN_IF_ERROR(o.Read(r));
    filter = std::make_unique<GopherQualityFilter>(name, field, o);
  } else if (type == "gopher_repetition") {
    KGF_RETURN_IF_ERROR(read_field());
    GopherRepetitionOptions o;
    KGF_RETURN_IF_ERROR(o.Read(r));
    filter = std::make_unique<GopherRepetitionFilter>(name, field, o);
  } else if (type == "c4") {
    KGF_RETURN_IF_ERROR(read_field());
    C4Options o;
    KGF_RETURN_IF_ERROR(o.Read(r));
    if (!o.bad_words_file.empty() && o.bad_words_file[0] != '/') {
      o.bad_words_file = JoinPath(ctx.config_dir, o.bad_words_file);
    }
    Result<std::unique_ptr<C4Filter>> f = C4Filter::Create(name, field, o);
    if (!f.ok()) return f.status().WithContext(r.where());
    filter = std::move(f).value();
  } else if (type == "fineweb") {
    KGF_RETURN_IF_ERROR(read_field());
    FineWebOptions o;
    KGF_RETURN_IF_ERROR(o.Read(r));
    filter = std::make_unique<FineWebFilter>(name, field, o);
  } else if (type == "script") {
    KGF_RETURN_IF_ERROR(read_field());
    ScriptOptions o;
    KGF_RETURN_IF_ERROR(o.Read(r));
    KGF_ASSIGN_OR_RETURN(filter, ScriptFilter::Create(name, field, o));
  } else if (type == "pii") {
    KGF_RETURN_IF_ERROR(read_field());
    PiiOptions o;
    KGF_RETURN_IF_ERROR(o.Read(r));
    filter = std::make_unique<PiiFilter>(name, field, o);
  } else if (type == "exact_dedup") {
    ExactDedupOptions o;
    o.source.field = field;
    if (ctx.plugins != nullptr) o.source.record_key = ctx.plugins->record_key;
    KGF_RETURN_IF_ERROR(o.Read(r));
    filter = std::make_unique<ExactDedupFilter>(name, o);
  } else if (type == "minhash_dedup") {
    MinHashDedupOptions o;
    o.source.field = field;
    if (ctx.plugins != nullptr) o.source.record_key = ctx.plugins->record_key;
    KGF_RETURN_IF_ERROR(o.Read(r));
    filter = std::make_unique<MinHashDedupFilter>(name, o);
  } else if (const FilterType* plugin = [&]() -> const FilterType* {
               if (ctx.plugins == nullptr) return nullptr;
               for (const FilterType& t : ctx.plugins->types) {
                 if (t.name == type) return &t;
               }
               return nullptr;
             }()) {
    KGF_ASSIGN_OR_RETURN(filter, plugin->make(name, r));
  } else {
    std::string known;
    for (const auto& t : KnownFilterTypes(ctx.plugins)) known += (known.empty() ? "" : ", ") + t;
    return InvalidArgumentError(ctx.where + ": unknown filter type '" + type + "'; known: " +
                                known);
  }
  KGF_RETURN_IF_ERROR(r.Finish());
  return filter;
}

}  // namespace kgf::filters
