// Lesson 6: type-checked attributes, the descriptor Attr on Person.
//
//   bazel run //classes:typed_attributes
//   echo "age 32" | bazel run //classes:typed_attributes -- --stdin
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "classes/typed_attributes.h"

ABSL_FLAG(bool, stdin, false,
          "Also read 'attribute value' lines from stdin and set them.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Person.name = Attr('name', str); Person.age = Attr('age', int); "
      "p.age = '32' is refused.");
  absl::ParseCommandLine(argc, argv);
  using classes::AttrType;
  using classes::AttrValue;

  classes::TypedObject p(
      "Person", {{"name", AttrType::kString}, {"age", AttrType::kInt}},
      [](absl::string_view op, absl::string_view attr, const AttrValue* v) {
        std::printf("in __%s__ %.*s%s%s\n",
                    op == "delete" ? "del" : std::string(op).c_str(),
                    static_cast<int>(attr.size()), attr.data(), v ? " " : "",
                    v ? classes::AttrRepr(*v).c_str() : "");
      });
  std::printf("p.name = 'liushuo' -> %s\n",
              p.Set("name", std::string("liushuo")).ToString().c_str());
  std::printf("p.age = '32'       -> %s\n",
              p.Set("age", std::string("32")).ToString().c_str());
  std::printf("p.age = 32         -> %s\n",
              p.Set("age", int64_t{32}).ToString().c_str());
  absl::StatusOr<AttrValue> age = p.Get("age");
  std::printf("p.age              -> %s\n", classes::AttrRepr(*age).c_str());
  std::printf("del p.age          -> %s\n", p.Delete("age").ToString().c_str());
  std::printf("p.age              -> %s\n",
              p.Get("age").status().ToString().c_str());
  std::printf(
      "At compile time: with `struct Person { Typed<std::string> name; "
      "Typed<int64_t> age; }`,\n`p.age = \"32\"` and `p.age = 3.5` do not "
      "compile (static_asserts in the tests).\n");
  if (absl::GetFlag(FLAGS_stdin)) {
    std::string attr, text;
    while (std::cin >> attr && std::getline(std::cin >> std::ws, text)) {
      std::printf("%s = %s -> %s\n", attr.c_str(), text.c_str(),
                  p.SetFromText(attr, text).ToString().c_str());
    }
  }
  return 0;
}
