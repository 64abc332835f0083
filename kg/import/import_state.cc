// Aliases, the content checksum of a fresh import, and the import report.
#include "kg/import/import_state.h"

#include <cstdio>

#include "base/json.h"

namespace kgf::kg {

std::string JoinAliases(const std::vector<std::string>& aliases) {
  std::string out;
  for (const std::string& a : aliases) {
    if (!out.empty()) out.push_back('|');
    out += a;
  }
  return out;
}

std::vector<std::string> SplitAliases(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t bar = s.find('|', start);
    if (bar == std::string::npos) bar = s.size();
    if (bar > start) out.push_back(s.substr(start, bar - start));
    start = bar + 1;
  }
  return out;
}

// The content checksum of a store that held nothing before: everything is in memory.
std::string ChecksumOfState(const ImportState& st) {
  ContentHasher h;
  for (const PendingEntity& e : st.entities) {
    for (const std::string* f : {&e.key, &e.name, &e.type}) h.Field(*f);
    h.Field(JoinAliases(e.aliases));
  }
  for (const RelationInfo& r : st.relations) {
    for (const std::string* f : {&r.key, &r.name, &r.description, &r.head_type, &r.tail_type,
                                 &r.inverse_name, &r.question_phrase}) {
      h.Field(*f);
    }
  }
  for (const auto& t : st.triples) h.Triple(t[0], t[1], t[2]);
  return h.Finish();
}

std::string ImportReport::ToText() const {
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof(buf),
                "import: %llu lines, %llu triples read, +%llu triples, +%llu entities, "
                "+%llu relations%s (%llu names disambiguated) in %.2fs\n"
                "store:  %llu entities, %llu relations, %llu triples, checksum %s\n",
                static_cast<unsigned long long>(lines), static_cast<unsigned long long>(triples_read),
                static_cast<unsigned long long>(triples_added),
                static_cast<unsigned long long>(entities_added),
                static_cast<unsigned long long>(relations_added),
                relations_updated == 0
                    ? ""
                    : (", " + std::to_string(relations_updated) + " updated").c_str(),
                static_cast<unsigned long long>(renamed), seconds,
                static_cast<unsigned long long>(total_entities),
                static_cast<unsigned long long>(total_relations),
                static_cast<unsigned long long>(total_triples),
                checksum.empty() ? "-" : checksum.c_str());
  out = buf;
  if (skipped > 0) {
    out += "skipped " + std::to_string(skipped) + " bad lines, first:\n";
    for (const std::string& s : skipped_examples) out += "  " + s + "\n";
  }
  for (const std::string& w : warnings) out += "warning: " + w + "\n";
  return out;
}

std::string ImportReport::ToJson() const {
  std::string out = "{\"files\":[";
  for (size_t i = 0; i < files.size(); ++i) out += (i ? "," : "") + JsonQuote(files[i]);
  out += "],\"lines\":" + std::to_string(lines) + ",\"triples_read\":" + std::to_string(triples_read) +
         ",\"triples_added\":" + std::to_string(triples_added) +
         ",\"entities_added\":" + std::to_string(entities_added) +
         ",\"relations_added\":" + std::to_string(relations_added) +
         ",\"relations_updated\":" + std::to_string(relations_updated) +
         ",\"renamed\":" + std::to_string(renamed) + ",\"skipped\":" + std::to_string(skipped) +
         ",\"skipped_examples\":[";
  for (size_t i = 0; i < skipped_examples.size(); ++i) {
    out += (i ? "," : "") + JsonQuote(skipped_examples[i]);
  }
  out += "],\"warnings\":[";
  for (size_t i = 0; i < warnings.size(); ++i) out += (i ? "," : "") + JsonQuote(warnings[i]);
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.3f", seconds);
  out += "],\"entities\":" + std::to_string(total_entities) +
         ",\"relations\":" + std::to_string(total_relations) +
         ",\"triples\":" + std::to_string(total_triples) + ",\"checksum\":" + JsonQuote(checksum) +
         ",\"seconds\":" + secs + "}";
  return out;
}

}  // namespace kgf::kg
