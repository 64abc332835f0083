// Name derivation and N-Triples spelling of keys.
#include "kg/import/names.h"

#include <cctype>
#include <cstdio>

namespace kgf::kg {
namespace {

constexpr std::string_view kKeyNamespace = "urn:kgforge:key:";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// Unescapes a canonical N-Triples literal key ("text"@en) to its lexical form; empty if `key`
// is not one.
std::string LiteralLexical(std::string_view key) {
  if (key.size() < 2 || key.front() != '"') return "";
  const size_t close = key.rfind('"');
  if (close == 0) return "";
  std::string out;
  for (size_t i = 1; i < close; ++i) {
    if (key[i] == '\\' && i + 1 < close) {
      const char e = key[++i];
      out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
      continue;
    }
    out.push_back(key[i]);
  }
  return out;
}

// The IRI's last path segment (after the last '#' or '/', ignoring one trailing separator);
// may be empty.
std::string_view IriLastSegment(std::string_view key) {
  std::string_view tail = key;
  size_t cut = key.find_last_of("#/");
  if (cut == key.size() - 1 && key.size() > 1) cut = key.find_last_of("#/", cut - 1);
  if (cut != std::string_view::npos) tail = key.substr(cut + 1);
  if (!tail.empty() && (tail.back() == '/' || tail.back() == '#')) tail.remove_suffix(1);
  return tail;
}

}  // namespace

bool LooksLikeIri(std::string_view key) {
  const size_t colon = key.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  if (!std::isalpha(static_cast<unsigned char>(key[0]))) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = key[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  for (char c : key) {
    if (c == ' ' || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' || c == '|' ||
        c == '\\' || c == '^' || c == '`' || static_cast<unsigned char>(c) < 0x20) {
      return false;
    }
  }
  return colon + 1 < key.size();
}

std::string DeriveEntityName(std::string_view key) {
  if (!key.empty() && key.front() == '"') {
    std::string lexical = LiteralLexical(key);
    if (!lexical.empty()) return lexical;
  }
  if (key.substr(0, kKeyNamespace.size()) == kKeyNamespace) {
    return PercentDecode(key.substr(kKeyNamespace.size()));
  }
  if (LooksLikeIri(key)) {
    std::string_view tail = IriLastSegment(key);
    if (tail.empty()) tail = key;
    std::string name = PercentDecode(tail);
    for (char& c : name) {
      if (c == '_') c = ' ';
    }
    return name;
  }
  return std::string(key);
}

std::string DeriveRelationName(std::string_view key) {
  std::string_view tail = key;
  if (key.substr(0, kKeyNamespace.size()) == kKeyNamespace) {
    tail = key.substr(kKeyNamespace.size());
  } else if (LooksLikeIri(key)) {
    tail = IriLastSegment(key);
  }
  const std::string decoded = PercentDecode(tail);
  std::string out;
  char prev = '\0';
  for (char c : decoded) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isupper(u)) {
      if (std::islower(static_cast<unsigned char>(prev)) || std::isdigit(static_cast<unsigned char>(prev))) {
        out.push_back('_');
      }
      out.push_back(static_cast<char>(std::tolower(u)));
    } else if (std::isalnum(u) && u < 0x80) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
    prev = c;
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty()) return "relation";
  if (!std::isalpha(static_cast<unsigned char>(out[0]))) out = "r_" + out;
  return out;
}

bool IsSnakeCase(std::string_view name) {
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string KeyToIri(std::string_view key) {
  if (LooksLikeIri(key) && key.substr(0, kKeyNamespace.size()) != kKeyNamespace) {
    return std::string(key);
  }
  std::string out(kKeyNamespace);
  for (char c : key) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", u);
      out += buf;
    }
  }
  return out;
}

std::string DecodeKgforgeIri(std::string_view iri) {
  if (iri.substr(0, kKeyNamespace.size()) == kKeyNamespace) {
    return PercentDecode(iri.substr(kKeyNamespace.size()));
  }
  return std::string(iri);
}

std::string NTriplesLiteral(std::string_view lexical, std::string_view lang,
                            std::string_view datatype) {
  std::string out = "\"";
  for (char c : lexical) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out.push_back(c);
    }
  }
  out.push_back('"');
  if (!lang.empty()) {
    out.push_back('@');
    out += lang;
  } else if (!datatype.empty()) {
    out += "^^";
    out += NTriplesIri(datatype);
  }
  return out;
}

std::string NTriplesIri(std::string_view iri) {
  std::string out = "<";
  for (char c : iri) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' || c == '|' ||
        c == '^' || c == '`' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04X", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('>');
  return out;
}

}  // namespace kgf::kg
