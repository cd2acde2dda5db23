#include "classes/typed_attributes.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace classes {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

struct Fixture {
  std::vector<std::string> events;
  TypedObject person{
      "Person",
      {{"name", AttrType::kString}, {"age", AttrType::kInt}},
      [this](absl::string_view op, absl::string_view attr, const AttrValue* v) {
        events.push_back(
            absl::StrCat(op, " ", attr, v ? " " + AttrRepr(*v) : ""));
      }};
};

TEST(TypedAttributesTest, TheTutorialsWrongTypeIsRefused) {
  Fixture f;
  ASSERT_THAT(f.person.Set("name", std::string("liushuo")), IsOk());
  ASSERT_THAT(f.person.Set("age", int64_t{31}), IsOk());
  EXPECT_THAT(f.person.Set("age", std::string("32")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Person.age must be int, got str ('32')")));
  EXPECT_EQ(std::get<int64_t>(*f.person.Get("age")),
            31);  // the old value stays
  EXPECT_THAT(f.events, ElementsAre("set name 'liushuo'", "set age 31",
                                    "set age '32'", "get age 31"));
}

TEST(TypedAttributesTest, FromTextAndDelete) {
  Fixture f;
  ASSERT_THAT(f.person.SetFromText("age", "32"), IsOk());
  EXPECT_EQ(std::get<int64_t>(*f.person.Get("age")), 32);
  EXPECT_THAT(f.person.SetFromText("age", "thirty"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Person.age must be int")));
  ASSERT_THAT(f.person.Delete("age"), IsOk());
  EXPECT_THAT(f.person.Get("age").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not been set")));
  EXPECT_THAT(f.person.Delete("age"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(f.person.Set("height", 1.8),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("'Person' object has no attribute 'height'")));
  EXPECT_EQ(f.events.back(), "delete age");
}

// Each type is named and shown as Python names and shows it.
TEST(TypedAttributesTest, EachTypeHasItsPythonNameAndRepr) {
  TypedObject o("Thing",
                {{"on", AttrType::kBool},
                 {"n", AttrType::kInt},
                 {"x", AttrType::kFloat},
                 {"s", AttrType::kString}},
                nullptr);
  ASSERT_THAT(o.SetFromText("on", "true"), IsOk());
  EXPECT_EQ(AttrRepr(*o.Get("on")), "True");
  ASSERT_THAT(o.SetFromText("on", "false"), IsOk());
  EXPECT_EQ(AttrRepr(*o.Get("on")), "False");
  ASSERT_THAT(o.SetFromText("x", "2.5"), IsOk());
  EXPECT_EQ(AttrRepr(*o.Get("x")), "2.5");
  ASSERT_THAT(o.SetFromText("x", "3"), IsOk());
  EXPECT_EQ(AttrRepr(*o.Get("x")), "3.0");
  ASSERT_THAT(o.SetFromText("n", "-7"), IsOk());
  EXPECT_EQ(AttrRepr(*o.Get("n")), "-7");
  ASSERT_THAT(o.SetFromText("s", "hi"), IsOk());
  EXPECT_EQ(AttrRepr(*o.Get("s")), "'hi'");
  EXPECT_THAT(o.Set("on", 1.5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Thing.on must be bool, got float (1.5)")));
  EXPECT_THAT(o.Set("x", true),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Thing.x must be float, got bool (True)")));
  EXPECT_THAT(o.SetFromText("on", "maybe"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Thing.on must be bool")));
  EXPECT_THAT(o.SetFromText("x", "lots"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Thing.x must be float")));
  EXPECT_EQ(AttrTypeName(AttrType::kInt), "int");
  EXPECT_EQ(AttrTypeName(AttrType::kString), "str");
}

struct StaticPerson {
  Typed<std::string> name;
  Typed<int64_t> age;
};

TEST(TypedAttributesTest, CompileTimeVersion) {
  StaticPerson p;
  p.age = int64_t{32};
  p.name = std::string("liushuo");
  EXPECT_EQ(p.age.get(), 32);
  static_assert(!std::is_assignable_v<Typed<int64_t>&, const char*>);  // '32'
  static_assert(
      !std::is_assignable_v<Typed<int64_t>&, double>);  // no narrowing
  static_assert(std::is_assignable_v<Typed<int64_t>&, int64_t>);
  struct Plain {
    int age;
  };
  static_assert(!std::is_assignable_v<decltype(Plain::age)&, const char*>);
}

}  // namespace
}  // namespace classes
