#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>
#include <sys/wait.h>

#include <algorithm>
#include <string>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "base/line_writer.h"
#include "base/rng.h"
#include "tests/testing/temp_dir.h"

namespace kgf {
namespace {

using testing::TempDir;

std::vector<std::string> ReadAll(const std::string& path, Status* status) {
  auto reader = LineReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<std::string> lines;
  std::string line;
  while ((*reader)->Next(&line)) lines.push_back(line);
  *status = (*reader)->status();
  return lines;
}

TEST(LineIoTest, PlainAndZstdRoundTrip) {
  TempDir dir;
  for (std::string name : {"a.jsonl", "a.jsonl.zst"}) {
    auto w = LineWriter::Open(dir.File(name));
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 50000; ++i) {
      ASSERT_TRUE((*w)->WriteLine("{\"i\":" + std::to_string(i) + "}").ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
    Status s;
    auto lines = ReadAll(dir.File(name), &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(lines.size(), 50000u);
    EXPECT_EQ(lines[12345], "{\"i\":12345}");
  }
  // Compressed output is smaller and deterministic.
  EXPECT_LT(*FileSize(dir.File("a.jsonl.zst")), *FileSize(dir.File("a.jsonl")) / 3);
}

TEST(LineIoTest, SameLinesGiveByteIdenticalZstd) {
  TempDir dir;
  for (std::string name : {"x.zst", "y.zst"}) {
    auto w = LineWriter::Open(dir.File(name));
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE((*w)->WriteLine(std::to_string(i * 7)).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  EXPECT_EQ(*FileChecksum(dir.File("x.zst")), *FileChecksum(dir.File("y.zst")));
}

TEST(LineIoTest, WriterWithoutCloseLeavesNothing) {
  TempDir dir;
  {
    auto w = LineWriter::Open(dir.File("out.jsonl.zst"));
    ASSERT_TRUE((*w)->WriteLine("partial").ok());
  }
  EXPECT_EQ(testing::ListFilesRecursive(dir.path()), "");
}

TEST(LineIoTest, LastLineWithoutNewlineAndCrlf) {
  TempDir dir;
  std::string p = dir.Write("t.txt", "a\r\nb\nc");
  Status s;
  auto lines = ReadAll(p, &s);
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(LineIoTest, OverlongLineIsAnErrorNamingTheLine) {
  TempDir dir;
  std::string p = dir.Write("t.txt", "ok\n" + std::string(2000, 'x') + "\n");
  auto reader = LineReader::Open(p, /*max_line_bytes=*/1000);
  std::string line;
  EXPECT_TRUE((*reader)->Next(&line));
  EXPECT_FALSE((*reader)->Next(&line));
  EXPECT_EQ((*reader)->status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE((*reader)->status().message().find("t.txt:2: line longer than 1000"), std::string::npos);
}

TEST(LineIoTest, TruncatedZstdIsDataLoss) {
  TempDir dir;
  auto w = LineWriter::Open(dir.File("t.zst"));
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE((*w)->WriteLine("line " + std::to_string(i)).ok());
  ASSERT_TRUE((*w)->Close().ok());
  std::string bytes = *ReadFileToString(dir.File("t.zst"));
  std::string cut = dir.Write("cut.zst", bytes.substr(0, bytes.size() / 2));
  Status s;
  ReadAll(cut, &s);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
}

TEST(LineIoTest, MissingFileIsNotFound) {
  auto r = LineReader::Open("/nonexistent/file.jsonl");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST(Utf8Test, AcceptsValidRejectsInvalid) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("C\xc3\xb4te d'Ivoire \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

TEST(AtomicWriteTest, ReplacesWholeFileAndReportsUnwritableDir) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.File("f"), "one").ok());
  ASSERT_TRUE(WriteFileAtomic(dir.File("f"), "two").ok());
  EXPECT_EQ(*ReadFileToString(dir.File("f")), "two");
  Status s = WriteFileAtomic("/nonexistent-dir/f", "x");
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("/nonexistent-dir/f"), std::string::npos);
  EXPECT_EQ(testing::ListFilesRecursive(dir.path()), "f\n");
}

TEST(JsonTest, ParseErrorsNameTheLocation) {
  auto bad = ParseJson("{\"a\": }", "in.jsonl:7");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("in.jsonl:7: invalid JSON at offset 6"), std::string::npos);
  auto good = ParseJson("{\"a\": \"x\", \"n\": 3}", "in.jsonl:8");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*JsonGetString(*good, "a", "r"), "x");
  EXPECT_EQ(*JsonGetInt(*good, "n", "r"), 3);
  EXPECT_EQ(JsonGetString(*good, "n", "r").status().message(), "r: field 'n' must be a string");
  EXPECT_EQ(JsonGetString(*good, "zz", "r").status().message(), "r: field 'zz' missing");
  EXPECT_EQ(JsonQuote("a\"b\n"), "\"a\\\"b\\n\"");
  // Plain text (UTF-8, '/', DEL) is passed through; every escape rapidjson writes still happens.
  std::string out = "[";
  AppendJsonQuoted("caf\xc3\xa9 / \x7f", &out);
  out += ',';
  AppendJsonQuoted(std::string_view("\\\x01\t\0", 4), &out);
  EXPECT_EQ(out, "[\"caf\xc3\xa9 / \x7f\",\"\\\\\\u0001\\t\\u0000\"");
}

// AppendJsonQuoted writes what rapidjson's Writer writes, for every byte value in every
// position of a vector-sized block and for random strings of all lengths, and reads back as
// the same string. (The comparison is skipped where the reference leaves a control character
// raw, as rapidjson 1.1 does when built with RAPIDJSON_SSE2/SSE42; ours never does.)
TEST(JsonTest, AppendJsonQuotedMatchesRapidjsonWriter) {
  auto rapidjson_quote = [](std::string_view s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return std::string(buf.GetString(), buf.GetSize());
  };
  auto check = [&](const std::string& s) {
    std::string out = "[";
    AppendJsonQuoted(s, &out);
    const std::string theirs = rapidjson_quote(s);
    const bool theirs_raw_control = std::any_of(
        theirs.begin(), theirs.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    if (!theirs_raw_control) {
      EXPECT_EQ(out.substr(1), theirs);
    }
    EXPECT_TRUE(std::none_of(out.begin(), out.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
    auto parsed = ParseJson(out + "]", "t");
    if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
      ASSERT_TRUE(parsed.ok()) << out;
      EXPECT_EQ(std::string((*parsed)[0].GetString(), (*parsed)[0].GetStringLength()), s);
    }
  };
  for (int c = 0; c < 256; ++c) {
    for (size_t at : {0, 1, 15, 16, 31, 32, 33, 63, 70}) {
      std::string s(71, 'a');
      s[at] = static_cast<char>(c);
      check(s);
    }
  }
  Rng rng(3);
  for (int t = 0; t < 2000; ++t) {
    std::string s(rng.Uniform(200), ' ');
    for (char& ch : s) ch = static_cast<char>(rng.Uniform(4) == 0 ? rng.Uniform(128) : 'x');
    check(s);
  }
}

// Every control character written by the project's rapidjson Writer (JsonToString: configs,
// manifests, exports) reads back: with RAPIDJSON_SSE42 defined, 0x1A-0x1F came out raw.
TEST(JsonTest, WrittenControlCharactersReadBack) {
  for (int c = 0; c < 0x20; ++c) {
    for (size_t at : {0, 5, 16, 40}) {
      std::string s(71, 'a');
      s[at] = static_cast<char>(c);
      JsonDoc doc;
      doc.SetArray();
      doc.PushBack(JsonValue(s.data(), static_cast<rapidjson::SizeType>(s.size()), doc.GetAllocator()),
                   doc.GetAllocator());
      const std::string text = JsonToString(doc);
      auto back = ParseJson(text, "t");
      ASSERT_TRUE(back.ok()) << "byte " << c << " at " << at << ": " << back.status().ToString();
      EXPECT_EQ(std::string((*back)[0].GetString(), (*back)[0].GetStringLength()), s);
    }
  }
}

// JsonAppender writes what rapidjson's Writer writes for the same calls.
TEST(JsonTest, JsonAppenderMatchesRapidjsonWriter) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  std::string out = "x";  // appends after what is there
  JsonAppender a(&out);
  auto both = [&](auto&& with_w, auto&& with_a) {
    with_w();
    with_a();
  };
  both([&] { w.StartObject(); }, [&] { a.StartObject(); });
  both([&] { w.Key("id"); w.String("s1\"q"); }, [&] { a.Key("id"); a.String("s1\"q"); });
  both([&] { w.Key("list"); w.StartArray(); }, [&] { a.Key("list"); a.StartArray(); });
  both([&] { w.StartObject(); w.EndObject(); }, [&] { a.StartObject(); a.EndObject(); });
  both([&] { w.Null(); w.Uint64(18446744073709551615ULL); },
       [&] { a.Null(); a.Uint64(18446744073709551615ULL); });
  both([&] { w.RawValue("{\"t\":1}", 7, rapidjson::kObjectType); }, [&] { a.RawValue("{\"t\":1}"); });
  both([&] { w.StartArray(); w.EndArray(); w.EndArray(); },
       [&] { a.StartArray(); a.EndArray(); a.EndArray(); });
  both([&] { w.Key("n"); w.Uint64(0); w.EndObject(); }, [&] { a.Key("n"); a.Uint64(0); a.EndObject(); });
  EXPECT_EQ(out, "x" + std::string(buf.GetString(), buf.GetSize()));
  EXPECT_EQ(out, "x{\"id\":\"s1\\\"q\",\"list\":[{},null,18446744073709551615,{\"t\":1},[]],\"n\":0}");
}

TEST(HashTest, StableKnownValues) {
  EXPECT_EQ(Hash64(""), 0x2d06800538d394c2ULL);  // xxh3-64 of empty input, seed 0
  EXPECT_NE(Hash64("a"), Hash64("b"));
  EXPECT_EQ(Hash128Hex("abc").size(), 32u);
}

// Issue 13: a killed filter / corpus build / export left "<name>.tmp.<pid>" files or
// "<name>.tmp-<pid>/" folders that no rerun removed.
TEST(FilesTest, StaleTempFilesOfDeadProcessesAreRemoved) {
  TempDir dir;
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  int status = 0;
  waitpid(dead, &status, 0);
  const std::string d = std::to_string(dead), alive = std::to_string(getppid());
  dir.Write("out.jsonl.tmp." + d, "partial");
  dir.Write("out.jsonl.tmp." + alive, "another run's, still going");
  ASSERT_TRUE(CreateDirectories(dir.File("corpus.tmp-" + d + "/sub")).ok());
  dir.Write("notes.tmp.txt", "not ours");
  dir.Write("other.jsonl.tmp." + d, "another output's");
  Result<int> n = RemoveStaleTempFiles(dir.path(), "out.jsonl.tmp.");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_FALSE(FileExists(dir.File("out.jsonl.tmp." + d)));
  EXPECT_TRUE(FileExists(dir.File("out.jsonl.tmp." + alive)));
  EXPECT_TRUE(FileExists(dir.File("other.jsonl.tmp." + d)));
  n = RemoveStaleTempFiles(dir.path());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);  // other.jsonl.tmp.<dead> and the corpus folder
  EXPECT_FALSE(IsDirectory(dir.File("corpus.tmp-" + d)));
  EXPECT_TRUE(FileExists(dir.File("notes.tmp.txt")));
  EXPECT_TRUE(FileExists(dir.File("out.jsonl.tmp." + alive)));
  EXPECT_EQ(*RemoveStaleTempFiles(dir.File("missing")), 0);
}

TEST(FilesTest, StagedDirectoryIsPublishedWholeOrNotAtAll) {
  TempDir dir;
  const StagedDirectory d = StageDirectory(dir.File("out") + "/");
  EXPECT_EQ(d.out, dir.File("out"));
  EXPECT_EQ(d.tmp, dir.File("out") + ".tmp-" + std::to_string(::getpid()));

  ASSERT_TRUE(CreateDirectories(d.tmp).ok());
  ASSERT_TRUE(WriteFileAtomic(JoinPath(d.tmp, "a"), "1").ok());
  Status failed = PublishDirectory(IoError("disk full"), d);
  EXPECT_EQ(failed.message(), "disk full");
  EXPECT_FALSE(FileExists(d.tmp)) << "a failed write leaves nothing";
  EXPECT_FALSE(FileExists(d.out));

  ASSERT_TRUE(CreateDirectories(d.out).ok());  // an empty target is replaced
  ASSERT_TRUE(CreateDirectories(d.tmp).ok());
  ASSERT_TRUE(WriteFileAtomic(JoinPath(d.tmp, "a"), "2").ok());
  ASSERT_TRUE(PublishDirectory(Status::Ok(), d).ok());
  EXPECT_EQ(*ReadFileToString(JoinPath(d.out, "a")), "2");
  EXPECT_FALSE(FileExists(d.tmp));
}

}  // namespace
}  // namespace kgf
