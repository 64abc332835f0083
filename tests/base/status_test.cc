#include "base/status.h"

#include <gtest/gtest.h>

namespace kgf {
namespace {

Result<int> ParsePositive(int x) {
  if (x <= 0) return InvalidArgumentError("x.tsv:3: value must be positive");
  return x;
}

Status UsesMacros(int x, int* out) {
  KGF_ASSIGN_OR_RETURN(int v, ParsePositive(x));
  KGF_RETURN_IF_ERROR(Status::Ok());
  *out = v * 2;
  return Status::Ok();
}

TEST(StatusTest, OkAndErrorCarryCodeAndMessage) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFoundError("kg.db: no such file");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: kg.db: no such file");
  EXPECT_EQ(s.WithContext("import").message(), "import: kg.db: no such file");
}

TEST(StatusTest, MacrosPropagateErrorsAndValues) {
  int out = 0;
  EXPECT_TRUE(UsesMacros(4, &out).ok());
  EXPECT_EQ(out, 8);
  Status s = UsesMacros(-1, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "x.tsv:3: value must be positive");
  EXPECT_EQ(out, 8);
}

TEST(StatusDeathTest, ValueOfErrorAborts) {
  Result<int> r = InternalError("boom");
  EXPECT_DEATH((void)r.value(), "value\\(\\) of an error Result");
}

}  // namespace
}  // namespace kgf
