// CompiledSchema: Kratos message ids/texts/contexts, keyword semantics the
// draft-4 suite does not cover (const, $defs, numeric exclusive bounds,
// code-point lengths, formats), compile errors, and the ory.sh/kratos
// extension (ExtractExtension, NormalizeIdentifier, CheckIdentitySchema).
#include "domain/identity/schema_validator.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "domain/identity/schema_extension.h"
#include "tests/support/test_support.h"

namespace mneme::domain::identity {
namespace {

using mneme::testing::HasCode;
using mneme::testing::IsOk;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

json Parse(const std::string& text) { return json::parse(text); }

CompiledSchema MustCompile(const json& schema) {
  auto compiled = CompiledSchema::Compile(schema);
  EXPECT_TRUE(compiled.has_value()) << compiled.error().ToString();
  return std::move(*compiled);
}

json SeedSchema() {
  std::ifstream in(MNEME_SOURCE_DIR "/config/identity.schema.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

std::string Describe(const std::vector<ValidationError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += "\n  " + e.instance_ptr + " " + std::to_string(e.message_id) + " [" + e.keyword +
           "] " + e.text + " " + e.context.dump();
  }
  return out;
}

// The single error `schema` reports for `instance`.
ValidationError OnlyError(const json& schema, const json& instance) {
  const auto errors = MustCompile(schema).Validate(instance);
  EXPECT_EQ(errors.size(), 1u) << Describe(errors);
  return errors.empty() ? ValidationError{} : errors.front();
}

void ExpectError(const ValidationError& e, const std::string& ptr, uint32_t id,
                 const std::string& text, const json& context, const std::string& keyword) {
  EXPECT_EQ(e.instance_ptr, ptr);
  EXPECT_EQ(e.message_id, id);
  EXPECT_EQ(e.text, text);
  EXPECT_EQ(e.context, context) << e.context.dump();
  EXPECT_EQ(e.keyword, keyword);
}

bool Valid(const json& schema, const json& instance) {
  const auto compiled = MustCompile(schema);
  const bool valid = compiled.IsValid(instance);
  EXPECT_EQ(valid, compiled.Validate(instance).empty()) << instance.dump();
  return valid;
}

// ---------------------------------------------------------------------------
// The seed identity schema (config/identity.schema.json).

TEST(SeedSchemaTest, AcceptsAWellFormedIdentity) {
  const auto schema = MustCompile(SeedSchema());
  EXPECT_THAT(schema.Validate(Parse(R"({"traits":{"email":"foo@example.com",
                                        "name":{"first":"Ada","last":"Lovelace"}}})")),
              IsEmpty());
}

TEST(SeedSchemaTest, BadEmailAndUnknownTraitGiveKratosMessages) {
  const auto errors =
      MustCompile(SeedSchema()).Validate(Parse(R"({"traits":{"email":"not-an-email","foo":1}})"));
  ASSERT_EQ(errors.size(), 2u) << Describe(errors);
  // Kratos v1.3 has no dedicated id for `format`: it sends the generic one.
  ExpectError(errors[0], "/traits/email", kErrorValidationGeneric,
              R"("not-an-email" is not valid "email")",
              {{"reason", R"("not-an-email" is not valid "email")"}}, "format");
  ExpectError(errors[1], "/traits", kErrorValidationGeneric,
              R"(additionalProperties "foo" not allowed)",
              {{"reason", R"(additionalProperties "foo" not allowed)"}}, "additionalProperties");
}

TEST(SeedSchemaTest, MissingEmailIsReportedAtTheMissingField) {
  const auto e = OnlyError(SeedSchema(), Parse(R"({"traits":{}})"));
  ExpectError(e, "/traits/email", kErrorValidationRequired, "Property email is missing.",
              {{"property", "email"}}, "required");
}

TEST(SeedSchemaTest, ShortEmailFailsFormatAndMinLength) {
  const auto errors = MustCompile(SeedSchema()).Validate(Parse(R"({"traits":{"email":"ab"}})"));
  ASSERT_EQ(errors.size(), 2u) << Describe(errors);
  EXPECT_EQ(errors[0].keyword, "format");
  ExpectError(errors[1], "/traits/email", kErrorValidationMinLength,
              "length must be >= 3, but got 2", {{"min_length", 3}, {"actual_length", 2}},
              "minLength");
}

TEST(SeedSchemaTest, WrongTypeInNestedObject) {
  const auto e = OnlyError(SeedSchema(),
                           Parse(R"({"traits":{"email":"a@b.co","name":{"first":5}}})"));
  ExpectError(e, "/traits/name/first", kErrorValidationWrongType,
              "expected string, but got number",
              {{"allowed_types", {"string"}}, {"actual_type", "number"}}, "type");
}

// ---------------------------------------------------------------------------
// Kratos message ids, texts and contexts per keyword.

TEST(KratosMessagesTest, MinAndMaxLength) {
  ExpectError(OnlyError(Parse(R"({"minLength":3})"), "a"), "", kErrorValidationMinLength,
              "length must be >= 3, but got 1", {{"min_length", 3}, {"actual_length", 1}},
              "minLength");
  ExpectError(OnlyError(Parse(R"({"maxLength":2})"), "abc"), "", kErrorValidationMaxLength,
              "length must be <= 2, but got 3", {{"max_length", 2}, {"actual_length", 3}},
              "maxLength");
}

TEST(KratosMessagesTest, PatternUsesInvalidFormatId) {
  ExpectError(OnlyError(Parse(R"({"pattern":"^a"})"), "ba"), "", kErrorValidationInvalidFormat,
              R"(does not match pattern "^a")", {{"pattern", "^a"}}, "pattern");
  // Go's %q escapes backslashes and quotes.
  EXPECT_EQ(OnlyError(Parse(R"({"pattern":"^\\d+\"$"})"), "x").text,
            R"(does not match pattern "^\\d+\"$")");
}

TEST(KratosMessagesTest, NumericBounds) {
  ExpectError(OnlyError(Parse(R"({"minimum":5})"), 3), "", kErrorValidationMinimum,
              "must be >= 5 but found 3", {{"minimum", 5}, {"actual", 3}}, "minimum");
  ExpectError(OnlyError(Parse(R"({"maximum":300})"), 600), "", kErrorValidationMaximum,
              "must be <= 300 but found 600", {{"maximum", 300}, {"actual", 600}}, "maximum");
  // Draft-4 boolean form and draft-6 numeric form map to the same ids.
  ExpectError(OnlyError(Parse(R"({"minimum":5,"exclusiveMinimum":true})"), 5), "",
              kErrorValidationExclusiveMinimum, "must be > 5 but found 5",
              {{"minimum", 5}, {"actual", 5}}, "exclusiveMinimum");
  ExpectError(OnlyError(Parse(R"({"exclusiveMinimum":5})"), 5), "",
              kErrorValidationExclusiveMinimum, "must be > 5 but found 5",
              {{"minimum", 5}, {"actual", 5}}, "exclusiveMinimum");
  ExpectError(OnlyError(Parse(R"({"maximum":5,"exclusiveMaximum":true})"), 5), "",
              kErrorValidationExclusiveMaximum, "must be < 5 but found 5",
              {{"maximum", 5}, {"actual", 5}}, "exclusiveMaximum");
  ExpectError(OnlyError(Parse(R"({"exclusiveMaximum":5})"), 5.0), "",
              kErrorValidationExclusiveMaximum, "must be < 5 but found 5",
              {{"maximum", 5}, {"actual", 5}}, "exclusiveMaximum");
}

TEST(KratosMessagesTest, NumbersArePrintedLikeGoFloat64) {
  EXPECT_EQ(OnlyError(Parse(R"({"minimum":1.5})"), 1.25).text, "must be >= 1.5 but found 1.25");
  EXPECT_EQ(OnlyError(Parse(R"({"maximum":1000000})"), 2500000).text,
            "must be <= 1e+06 but found 2.5e+06");
  EXPECT_EQ(OnlyError(Parse(R"({"minimum":0.001})"), 0.00001).text,
            "must be >= 0.001 but found 1e-05");
  EXPECT_EQ(OnlyError(Parse(R"({"minimum":1.5})"), 1.25).context,
            Parse(R"({"minimum":1.5,"actual":1.25})"));
}

TEST(KratosMessagesTest, MultipleOf) {
  ExpectError(OnlyError(Parse(R"({"multipleOf":3})"), 7), "", kErrorValidationMultipleOf,
              "7 not multipleOf 3", {{"base", 3}, {"actual", 7}}, "multipleOf");
}

TEST(KratosMessagesTest, ItemCountsAndUniqueness) {
  ExpectError(OnlyError(Parse(R"({"minItems":3})"), Parse("[1,2]")), "", kErrorValidationMinItems,
              "minimum 3 items allowed, but found 2 items", {{"min_items", 3}, {"actual_items", 2}},
              "minItems");
  ExpectError(OnlyError(Parse(R"({"maxItems":3})"), Parse("[1,2,3,4]")), "",
              kErrorValidationMaxItems, "maximum 3 items allowed, but found 4 items",
              {{"max_items", 3}, {"actual_items", 4}}, "maxItems");
  ExpectError(OnlyError(Parse(R"({"uniqueItems":true})"), Parse(R"([1,"x",1.0])")), "",
              kErrorValidationUniqueItems, "items at index 0 and 2 are equal",
              {{"index_a", 0}, {"index_b", 2}}, "uniqueItems");
}

TEST(KratosMessagesTest, WrongTypeListsAllowedTypesInSchemaOrder) {
  ExpectError(OnlyError(Parse(R"({"type":["string","null"]})"), 1.5), "",
              kErrorValidationWrongType, "expected string or null, but got number",
              {{"allowed_types", {"string", "null"}}, {"actual_type", "number"}}, "type");
  EXPECT_EQ(OnlyError(Parse(R"({"type":"integer"})"), 1.5).text,
            "expected integer, but got number");
}

TEST(KratosMessagesTest, TypeMismatchHidesTheSchemasOtherErrors) {
  const auto e = OnlyError(Parse(R"({"type":"string","minLength":3,"enum":["abc"]})"), 1);
  EXPECT_EQ(e.keyword, "type");
}

TEST(KratosMessagesTest, Const) {
  ExpectError(OnlyError(Parse(R"({"const":"foo"})"), "bar"), "", kErrorValidationConst,
              R"(must be equal to constant "foo")", {{"expected", R"("foo")"}}, "const");
  EXPECT_EQ(OnlyError(Parse(R"({"const":true})"), false).text, "must be equal to constant true");
  ExpectError(OnlyError(Parse(R"({"const":{"a":1}})"), Parse(R"({"a":2})")), "",
              kErrorValidationConstGeneric, "const failed", json(), "const");
}

TEST(KratosMessagesTest, GenericMessagesCarryTheReason) {
  ExpectError(OnlyError(Parse(R"({"enum":["a","b"]})"), "c"), "", kErrorValidationGeneric,
              R"(value must be one of "a", "b")", {{"reason", R"(value must be one of "a", "b")"}},
              "enum");
  EXPECT_EQ(OnlyError(Parse(R"({"enum":["a"]})"), "c").text, R"(value must be "a")");
  EXPECT_EQ(OnlyError(Parse(R"({"enum":[{"a":1}]})"), "c").text, "enum failed");
  EXPECT_EQ(OnlyError(Parse(R"({"not":{"type":"string"}})"), "c").text, "not failed");
  EXPECT_EQ(OnlyError(Parse(R"({"oneOf":[{"minimum":1},{"minimum":2}]})"), 3).text,
            "valid against schemas at indexes 0 and 1");
  EXPECT_EQ(OnlyError(Parse(R"({"properties":{"a":false}})"), Parse(R"({"a":1})")).text,
            "always fail");
  EXPECT_EQ(OnlyError(Parse(R"({"minProperties":2})"), Parse(R"({"a":1})")).text,
            "minimum 2 properties allowed, but found 1 properties");
  EXPECT_EQ(OnlyError(Parse(R"({"maxProperties":0})"), Parse(R"({"a":1})")).text,
            "maximum 0 properties allowed, but found 1 properties");
  EXPECT_EQ(OnlyError(Parse(R"({"dependencies":{"b":["a"]}})"), Parse(R"({"b":1})")).text,
            R"(property "a" is required, if "b" property exists)");
  EXPECT_EQ(OnlyError(Parse(R"({"items":[{}],"additionalItems":false})"), Parse("[1,2]")).text,
            "only 1 items are allowed, but found 2 items");
  EXPECT_EQ(OnlyError(Parse(R"({"format":"email"})"), "a\tb").text,
            R"("a\tb" is not valid "email")");
}

TEST(KratosMessagesTest, AdditionalPropertiesNamesEveryExtraProperty) {
  const auto e = OnlyError(Parse(R"({"properties":{"a":{}},"additionalProperties":false})"),
                           Parse(R"({"a":1,"c":2,"b":3})"));
  EXPECT_EQ(e.text, R"(additionalProperties "b", "c" not allowed)");
}

TEST(KratosMessagesTest, EveryMissingRequiredPropertyIsOneMessage) {
  const auto errors = MustCompile(Parse(R"({"properties":{"o":{"required":["x","a/b"]}}})"))
                          .Validate(Parse(R"({"o":{}})"));
  ASSERT_EQ(errors.size(), 2u) << Describe(errors);
  ExpectError(errors[0], "/o/x", kErrorValidationRequired, "Property x is missing.",
              {{"property", "x"}}, "required");
  EXPECT_EQ(errors[1].instance_ptr, "/o/a~1b");
  EXPECT_EQ(errors[1].text, "Property a/b is missing.");
}

TEST(KratosMessagesTest, AnyOfReportsTheFailuresOfEveryBranch) {
  const auto errors = MustCompile(Parse(R"({"anyOf":[{"type":"string"},{"minimum":10}]})"))
                          .Validate(3);
  ASSERT_EQ(errors.size(), 2u) << Describe(errors);
  EXPECT_EQ(errors[0].message_id, kErrorValidationWrongType);
  EXPECT_EQ(errors[1].message_id, kErrorValidationMinimum);
}

TEST(KratosMessagesTest, ErrorsInsideArraysAndRefsPointAtTheValue) {
  const auto e = OnlyError(Parse(R"({"definitions":{"s":{"type":"string"}},
                                     "properties":{"l":{"items":{"$ref":"#/definitions/s"}}}})"),
                           Parse(R"({"l":["a",2]})"));
  EXPECT_EQ(e.instance_ptr, "/l/1");
  EXPECT_EQ(e.keyword, "type");
}

// ---------------------------------------------------------------------------
// Keyword semantics.

TEST(KeywordTest, ConstComparesAsJson) {
  EXPECT_TRUE(Valid(Parse(R"({"const":1})"), 1.0));
  EXPECT_TRUE(Valid(Parse(R"({"const":{"a":[1,{"b":null}],"c":"x"}})"),
                    Parse(R"({"c":"x","a":[1.0,{"b":null}]})")));
  EXPECT_FALSE(Valid(Parse(R"({"const":{"a":1}})"), Parse(R"({"a":1,"b":2})")));
  EXPECT_TRUE(Valid(Parse(R"({"const":null})"), nullptr));
  EXPECT_FALSE(Valid(Parse(R"({"const":null})"), false));
  EXPECT_FALSE(Valid(Parse(R"({"const":0})"), false));
  EXPECT_FALSE(Valid(Parse(R"({"const":[1]})"), Parse("[true]")));
}

TEST(KeywordTest, DefsAndDefinitionsResolve) {
  const json schema = Parse(R"({
    "$defs": {"name": {"type": "string", "minLength": 2}},
    "definitions": {"age": {"type": "integer", "minimum": 0}},
    "properties": {"n": {"$ref": "#/$defs/name"}, "a": {"$ref": "#/definitions/age"}}})");
  EXPECT_TRUE(Valid(schema, Parse(R"({"n":"ab","a":3})")));
  EXPECT_FALSE(Valid(schema, Parse(R"({"n":"a"})")));
  EXPECT_FALSE(Valid(schema, Parse(R"({"a":-1})")));
}

TEST(KeywordTest, RefPointerEscapes) {
  const json schema = Parse(R"({
    "$defs": {"a/b": {"type": "integer"}, "c~d": {"type": "string"}, "e%f": {"type": "null"},
              "g h": {"type": "boolean"}},
    "properties": {"s": {"$ref": "#/$defs/a~1b"}, "t": {"$ref": "#/$defs/c~0d"},
                   "p": {"$ref": "#/$defs/e%25f"}, "q": {"$ref": "#/$defs/g%20h"}}})");
  EXPECT_TRUE(Valid(schema, Parse(R"({"s":1,"t":"x","p":null,"q":true})")));
  EXPECT_FALSE(Valid(schema, Parse(R"({"s":"x"})")));
  EXPECT_FALSE(Valid(schema, Parse(R"({"t":1})")));
  EXPECT_FALSE(Valid(schema, Parse(R"({"p":1})")));
  EXPECT_FALSE(Valid(schema, Parse(R"({"q":1})")));
}

TEST(KeywordTest, RecursiveRefs) {
  const json tree = Parse(R"({
    "definitions": {"node": {"type": "object", "required": ["v"],
      "properties": {"v": {"type": "integer"},
                     "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}},
    "$ref": "#/definitions/node"})");
  EXPECT_TRUE(Valid(tree, Parse(R"({"v":1,"children":[{"v":2,"children":[{"v":3}]}]})")));
  const auto errors = MustCompile(tree).Validate(Parse(R"({"v":1,"children":[{"v":2,
                                                           "children":[{"v":"x"}]}]})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].instance_ptr, "/children/0/children/0/v");
}

TEST(KeywordTest, RefThroughTheRootId) {
  const json schema = Parse(R"({"$id": "https://example.com/s.json",
    "definitions": {"a": {"type": "string"}},
    "properties": {"p": {"$ref": "https://example.com/s.json#/definitions/a"}}})");
  EXPECT_TRUE(Valid(schema, Parse(R"({"p":"x"})")));
  EXPECT_FALSE(Valid(schema, Parse(R"({"p":1})")));
}

TEST(KeywordTest, RefSiblingsAreIgnoredAsInDraft7) {
  EXPECT_TRUE(Valid(Parse(R"({"$defs":{"a":{}},"$ref":"#/$defs/a","type":"string"})"), 5));
}

TEST(KeywordTest, DeepRecursionFailsInsteadOfOverflowing) {
  json deep = json::array();
  for (int i = 0; i < 1000; ++i) {
    deep = json::array({deep});
  }
  const auto errors = MustCompile(Parse(R"({"items":{"$ref":"#"}})")).Validate(deep);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].text, "schema recursion is too deep");
  EXPECT_FALSE(Valid(Parse(R"({"allOf":[{"$ref":"#"}]})"), 1));
}

TEST(KeywordTest, NumericExclusiveBounds) {
  const json schema = Parse(R"({"exclusiveMinimum":1.5,"exclusiveMaximum":3})");
  EXPECT_FALSE(Valid(schema, 1.5));
  EXPECT_TRUE(Valid(schema, 1.6));
  EXPECT_TRUE(Valid(schema, 2.999));
  EXPECT_FALSE(Valid(schema, 3));
  EXPECT_TRUE(Valid(schema, "not a number"));
  // Numeric exclusiveMinimum next to minimum: both apply.
  EXPECT_FALSE(Valid(Parse(R"({"minimum":1,"exclusiveMinimum":2})"), 2));
  // Draft-4 `false` is the inclusive bound.
  EXPECT_TRUE(Valid(Parse(R"({"minimum":2,"exclusiveMinimum":false})"), 2));
}

TEST(KeywordTest, IntegerAcceptsWholeFloats) {
  EXPECT_TRUE(Valid(Parse(R"({"type":"integer"})"), Parse("1.0")));
  EXPECT_TRUE(Valid(Parse(R"({"type":"integer"})"), Parse("-3")));
  EXPECT_TRUE(Valid(Parse(R"({"type":"integer"})"), Parse("1e3")));
  EXPECT_FALSE(Valid(Parse(R"({"type":"integer"})"), Parse("1.5")));
  EXPECT_TRUE(Valid(Parse(R"({"type":"number"})"), Parse("1")));
}

TEST(KeywordTest, LengthsCountCodePoints) {
  EXPECT_TRUE(Valid(Parse(R"({"maxLength":3})"), "äöü"));
  const auto e = OnlyError(Parse(R"({"minLength":4})"), "äöü");
  EXPECT_EQ(e.context, Parse(R"({"min_length":4,"actual_length":3})"));
  EXPECT_TRUE(Valid(Parse(R"({"maxLength":1})"), "😀"));
  EXPECT_FALSE(Valid(Parse(R"({"maxLength":1})"), "😀😀"));
  EXPECT_EQ(CodePointLength("äöü"), 3u);
  EXPECT_EQ(CodePointLength("a😀b"), 3u);
  EXPECT_EQ(CodePointLength(""), 0u);
  EXPECT_EQ(CodePointLength("\xff\xfe"), 2u);     // invalid bytes count one each
  EXPECT_EQ(CodePointLength("\xc3"), 1u);         // truncated sequence
}

TEST(KeywordTest, MultipleOfIsExactForDecimalFractions) {
  EXPECT_TRUE(Valid(Parse(R"({"multipleOf":0.01})"), Parse("19.99")));
  EXPECT_TRUE(Valid(Parse(R"({"multipleOf":0.1})"), Parse("0.3")));
  EXPECT_FALSE(Valid(Parse(R"({"multipleOf":0.1})"), Parse("0.35")));
  EXPECT_TRUE(Valid(Parse(R"({"multipleOf":1.5})"), Parse("-4.5")));
  EXPECT_TRUE(Valid(Parse(R"({"multipleOf":2.5})"), Parse("10")));
  EXPECT_TRUE(Valid(Parse(R"({"multipleOf":0.0001})"), Parse("0.0075")));
  EXPECT_FALSE(Valid(Parse(R"({"multipleOf":0.0001})"), Parse("0.00751")));
  EXPECT_FALSE(Valid(Parse(R"({"type":"integer","multipleOf":0.123456789})"), Parse("1e308")));
  EXPECT_TRUE(Valid(Parse(R"({"multipleOf":1e-300})"), Parse("1e300")));
  EXPECT_TRUE(Valid(Parse(R"({"multipleOf":7})"), Parse("0")));
  EXPECT_TRUE(Valid(Parse(R"({"multipleOf":3})"), Parse("18446744073709551615")));
}

TEST(KeywordTest, UniqueItemsUsesJsonEquality) {
  EXPECT_FALSE(Valid(Parse(R"({"uniqueItems":true})"), Parse("[1, 1.0]")));
  EXPECT_FALSE(Valid(Parse(R"({"uniqueItems":true})"), Parse(R"([{"a":1,"b":2},{"b":2,"a":1}])")));
  EXPECT_TRUE(Valid(Parse(R"({"uniqueItems":true})"), Parse(R"([0, false, null, "0", [0]])")));
  EXPECT_TRUE(Valid(Parse(R"({"uniqueItems":false})"), Parse("[1, 1]")));
}

TEST(KeywordTest, PatternIsUnanchoredEcmaScript) {
  EXPECT_TRUE(Valid(Parse(R"({"pattern":"b+"})"), "abbbc"));
  EXPECT_FALSE(Valid(Parse(R"({"pattern":"^b+$"})"), "abbbc"));
  EXPECT_TRUE(Valid(Parse(R"({"pattern":"^[a-z0-9]+$"})"), "user42"));
  EXPECT_TRUE(Valid(Parse(R"({"pattern":"^\\d{3}$"})"), 123));  // non-strings ignored
}

TEST(KeywordTest, OverlongPatternSubjectsFailClosedWithoutCrashing) {
  const std::string long_value(5000, 'a');
  EXPECT_FALSE(Valid(Parse(R"({"pattern":"^(a|b)*$"})"), long_value));
  EXPECT_TRUE(Valid(Parse(R"({"pattern":"^(a|b)*$"})"), std::string(1000, 'a')));
  // Such a property name matches no patternProperties entry.
  json object = json::object();
  object[long_value] = 1;
  EXPECT_FALSE(Valid(Parse(R"({"patternProperties":{"^a":{}},"additionalProperties":false})"),
                     object));
}

TEST(KeywordTest, AdditionalPropertiesSchemaAndPatternProperties) {
  const json schema = Parse(R"({"properties":{"a":{}},"patternProperties":{"^x-":{"type":"string"}},
                               "additionalProperties":{"type":"integer"}})");
  EXPECT_TRUE(Valid(schema, Parse(R"({"a":[],"x-y":"s","other":3})")));
  EXPECT_FALSE(Valid(schema, Parse(R"({"x-y":3})")));
  const auto e = OnlyError(schema, Parse(R"({"other":"s"})"));
  EXPECT_EQ(e.instance_ptr, "/other");
}

TEST(KeywordTest, TupleItemsWithAdditionalItemsSchema) {
  const json schema = Parse(R"({"items":[{"type":"string"},{"type":"integer"}],
                               "additionalItems":{"type":"boolean"}})");
  EXPECT_TRUE(Valid(schema, Parse(R"(["a",1,true,false])")));
  EXPECT_FALSE(Valid(schema, Parse(R"(["a",1,2])")));
  EXPECT_FALSE(Valid(schema, Parse(R"([1])")));
  EXPECT_TRUE(Valid(schema, Parse("[]")));
}

TEST(KeywordTest, BooleanSchemas) {
  EXPECT_TRUE(Valid(true, Parse(R"({"anything":[1]})")));
  EXPECT_FALSE(Valid(false, nullptr));
  EXPECT_FALSE(Valid(Parse(R"({"items":false})"), Parse("[1]")));
  EXPECT_TRUE(Valid(Parse(R"({"items":false})"), Parse("[]")));
}

TEST(KeywordTest, Draft7Applicators) {
  const json conditional = Parse(R"({"if":{"required":["kind"],"properties":{"kind":{"const":"phone"}}},
                                    "then":{"required":["number"]},"else":{"required":["email"]}})");
  EXPECT_TRUE(Valid(conditional, Parse(R"({"kind":"phone","number":"1"})")));
  EXPECT_FALSE(Valid(conditional, Parse(R"({"kind":"phone"})")));
  EXPECT_TRUE(Valid(conditional, Parse(R"({"email":"x"})")));
  EXPECT_FALSE(Valid(Parse(R"({"contains":{"const":2}})"), Parse("[1,3]")));
  EXPECT_TRUE(Valid(Parse(R"({"contains":{"const":2}})"), Parse("[1,2]")));
  EXPECT_EQ(OnlyError(Parse(R"({"contains":{"const":2}})"), Parse("[]")).text, "contains failed");
  EXPECT_FALSE(Valid(Parse(R"({"propertyNames":{"maxLength":2}})"), Parse(R"({"abc":1})")));
}

TEST(KeywordTest, UnknownKeywordsAreIgnored) {
  const json schema = Parse(R"({"$schema":"http://json-schema.org/draft-07/schema#",
    "$id":"https://example.com/x","title":"T","description":"D","default":{"x":1},
    "examples":[1],"ory.sh/kratos":{"credentials":{"password":{"identifier":true}}},
    "x-custom":{"type":"string"}})");
  EXPECT_TRUE(Valid(schema, 5));
}

// ---------------------------------------------------------------------------
// Formats.

struct FormatCase {
  const char* format;
  const char* value;
  bool valid;
};

class FormatTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatTest, MatchesKratos) {
  const FormatCase& c = GetParam();
  EXPECT_EQ(CheckFormat(c.format, json(c.value)), c.valid) << c.format << " " << c.value;
  EXPECT_EQ(Valid(json{{"format", c.format}}, json(c.value)), c.valid);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, FormatTest,
    ::testing::Values(
        FormatCase{"email", "joe.bloggs@example.com", true},
        FormatCase{"email", "a+tag@sub.example.io", true},
        FormatCase{"email", R"("quoted user"@example.com)", true},
        FormatCase{"email", "user@localhost", true},
        FormatCase{"email", "2962", false},
        FormatCase{"email", "joe@", false},
        FormatCase{"email", "@example.com", false},
        FormatCase{"email", "a..b@example.com", false},
        FormatCase{"email", ".a@example.com", false},
        FormatCase{"email", "a.@example.com", false},
        FormatCase{"email", "a@-example.com", false},
        FormatCase{"email", "a@exa_mple.com", false},
        FormatCase{"email", "foo@öry.sh", false},
        FormatCase{"email", "a b@example.com", false},
        FormatCase{"email", "not-an-email", false},
        FormatCase{"date", "2024-02-29", true},
        FormatCase{"date", "1963-06-19", true},
        FormatCase{"date", "2023-02-29", false},
        FormatCase{"date", "1900-02-29", false},
        FormatCase{"date", "2024-13-01", false},
        FormatCase{"date", "2024-1-01", false},
        FormatCase{"date", "2024-01-32", false},
        FormatCase{"date", "2024-01-01T00:00:00Z", false},
        FormatCase{"date-time", "1963-06-19T08:30:06.283185Z", true},
        FormatCase{"date-time", "2024-01-01T00:00:00+01:00", true},
        FormatCase{"date-time", "2024-12-31T23:59:59-23:59", true},
        FormatCase{"date-time", "2024-01-01 00:00:00Z", false},
        FormatCase{"date-time", "2024-01-01T24:00:00Z", false},
        FormatCase{"date-time", "2024-01-01T00:00:60Z", false},
        FormatCase{"date-time", "2024-01-01T00:00:00", false},
        FormatCase{"date-time", "2024-01-01T00:00:00.Z", false},
        FormatCase{"date-time", "2024-01-01t00:00:00z", false},
        FormatCase{"date-time", "06/19/1963 08:30:06 PST", false},
        FormatCase{"date-time", "2013-350T01:01:01", false},
        FormatCase{"time", "08:30:06Z", true},
        FormatCase{"time", "08:30:06.5+02:00", true},
        FormatCase{"time", "8:30:06Z", false},
        FormatCase{"time", "08:30:06", false},
        FormatCase{"uuid", "123e4567-e89b-12d3-a456-426614174000", true},
        FormatCase{"uuid", "123E4567-E89B-12D3-A456-426614174000", true},
        FormatCase{"uuid", "123e4567e89b12d3a456426614174000", false},
        FormatCase{"uuid", "g23e4567-e89b-12d3-a456-426614174000", false},
        FormatCase{"uuid", "123e4567-e89b-12d3-a456-42661417400", false},
        FormatCase{"tel", "+4917613213110", true},
        FormatCase{"tel", "+49 176 1321 3110", true},
        FormatCase{"tel", "+1 (650) 555-0123", true},
        FormatCase{"tel", "+44 20 7946 0958", true},
        FormatCase{"tel", "+683 4002", true},
        FormatCase{"tel", "017613213110", false},
        FormatCase{"tel", "+999123456789", false},
        FormatCase{"tel", "+1 555", false},
        FormatCase{"tel", "+1 150 555 0123", false},
        FormatCase{"tel", "+49 176 abc 3110", false},
        FormatCase{"tel", "+", false},
        FormatCase{"tel", "+0123456789", false},
        FormatCase{"tel", "+491761321311012345", false},
        FormatCase{"hostname", "www.example.com", true},
        FormatCase{"hostname", "example.com.", true},
        FormatCase{"hostname", "localhost", true},
        FormatCase{"hostname", "xn--ry-kka.sh", true},
        FormatCase{"hostname", "-a-host-name-that-starts-with--", false},
        FormatCase{"hostname", "a.-b.com", false},
        FormatCase{"hostname", "not_a_valid_host_name", false},
        FormatCase{"hostname", "a..b", false},
        FormatCase{"hostname", "", false},
        FormatCase{"hostname",
                   "a-vvvvvvvvvvvvvvvveeeeeeeeeeeeeeeerrrrrrrrrrrrrrrryyyyyyyyyyyyyyyy-long-host",
                   false},
        FormatCase{"ipv4", "192.168.0.1", true},
        FormatCase{"ipv4", "0.0.0.0", true},
        FormatCase{"ipv4", "127.0.0.0.1", false},
        FormatCase{"ipv4", "256.256.256.256", false},
        FormatCase{"ipv4", "127.0", false},
        FormatCase{"ipv4", "0x7f000001", false},
        FormatCase{"ipv4", "1.2.3.-4", false},
        FormatCase{"ipv4", "1.2.3.", false},
        FormatCase{"ipv6", "::1", true},
        FormatCase{"ipv6", "::", true},
        FormatCase{"ipv6", "2001:db8::8a2e:370:7334", true},
        FormatCase{"ipv6", "::ffff:192.0.2.128", true},
        FormatCase{"ipv6", "1:2:3:4:5:6:7:8", true},
        FormatCase{"ipv6", "1:2:3:4:5:6:7::", true},
        FormatCase{"ipv6", "12345::", false},
        FormatCase{"ipv6", "1:1:1:1:1:1:1:1:1", false},
        FormatCase{"ipv6", "1:2:3:4:5:6:7:8::", false},
        FormatCase{"ipv6", "::laptop", false},
        FormatCase{"ipv6", "1::2::3", false},
        FormatCase{"ipv6", "1:2", false},
        FormatCase{"ipv6", "1:", false},
        FormatCase{"ipv6", "fe80::1%eth0", false},
        FormatCase{"ipv6", "1.2.3.4", false},
        FormatCase{"uri", "http://foo.bar/?baz=qux#quux", true},
        FormatCase{"uri", "mailto:joe@example.com", true},
        FormatCase{"uri", "urn:isbn:0451450523", true},
        FormatCase{"uri", "https://[::1]:8080/x", true},
        FormatCase{"uri", "https://user:pw@host.example:443/p%20q?q#f", true},
        FormatCase{"uri", "//foo.bar/?baz=qux#quux", false},
        FormatCase{"uri", "abc", false},
        FormatCase{"uri", "\\\\WINDOWS\\fileshare", false},
        FormatCase{"uri", "http://exa mple.com", false},
        FormatCase{"uri", "http://x/%zz", false},
        FormatCase{"uri", "1http://x", false},
        FormatCase{"uri", "https://[::1/", false},
        FormatCase{"uri", "http://host:80a/", false},
        FormatCase{"no-validate", "anything at all", true},
        FormatCase{"unknown-format", "", true}));

TEST(FormatTest, NonStringsPass) {
  EXPECT_TRUE(CheckFormat("email", json(12)));
  EXPECT_TRUE(Valid(Parse(R"({"format":"date"})"), nullptr));
}

// ---------------------------------------------------------------------------
// Compile errors.

TEST(CompileTest, MalformedSchemasAreInvalidArgument) {
  const char* const bad[] = {
      R"(5)",
      R"({"pattern":"("})",
      R"({"pattern":5})",
      R"({"patternProperties":{"[":{}}})",
      R"({"$ref":"http://example.com/other.json#/x"})",
      R"({"$ref":"other.json"})",
      R"({"$ref":"#/definitions/missing"})",
      R"({"$ref":"#foo"})",
      R"({"$ref":"#/a~2"})",
      R"({"$ref":"#/a%zz"})",
      R"({"$ref":5})",
      R"({"$ref":"#"})",
      R"({"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}}})",
      R"({"minLength":-1})",
      R"({"minLength":"3"})",
      R"({"maxItems":1.5})",
      R"({"type":"strin"})",
      R"({"type":[]})",
      R"({"type":5})",
      R"({"required":"email"})",
      R"({"required":[1]})",
      R"({"multipleOf":0})",
      R"({"multipleOf":-2})",
      R"({"minimum":"1"})",
      R"({"exclusiveMinimum":"x"})",
      R"({"properties":[]})",
      R"({"properties":{"a":5}})",
      R"({"allOf":[]})",
      R"({"anyOf":{}})",
      R"({"enum":"a"})",
      R"({"format":1})",
      R"({"uniqueItems":1})",
      R"({"dependencies":{"a":[1]}})",
      R"({"definitions":{"unused":{"type":"nope"}}})",
      R"({"items":[{"minLength":"x"}]})",
  };
  for (const char* text : bad) {
    EXPECT_THAT(CompiledSchema::Compile(Parse(text)), HasCode(Code::kInvalidArgument)) << text;
  }
}

TEST(CompileTest, ErrorMessagesNameTheLocation) {
  auto r = CompiledSchema::Compile(Parse(R"({"properties":{"a":{"minLength":"3"}}})"));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), ::testing::HasSubstr("#/properties/a"));
  EXPECT_THAT(r.error().message(), ::testing::HasSubstr("minLength"));
}

TEST(CompileTest, CopiesShareTheCompiledStateAndRawDocument) {
  const json doc = Parse(R"({"type":"string"})");
  const auto a = MustCompile(doc);
  const CompiledSchema b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(&a.raw(), &b.raw());
  EXPECT_EQ(b.raw(), doc);
  EXPECT_FALSE(b.IsValid(1));
}

// ---------------------------------------------------------------------------
// The ory.sh/kratos extension.

TEST(ExtensionTest, SeedSchemaEmailIsIdentifierAndAddresses) {
  const auto ext =
      ExtractExtension(MustCompile(SeedSchema()), Parse(R"({"email":"  Foo@Example.COM "})"));
  EXPECT_THAT(ext.identifiers.password, ElementsAre("foo@example.com"));
  EXPECT_THAT(ext.identifiers.webauthn, IsEmpty());
  EXPECT_THAT(ext.identifiers.code, IsEmpty());
  EXPECT_THAT(ext.verifiable, ElementsAre(AddressRef{"foo@example.com", "email"}));
  EXPECT_THAT(ext.recovery, ElementsAre(AddressRef{"foo@example.com", "email"}));
  EXPECT_THAT(ext.code_addresses, IsEmpty());
}

const char* const kRichSchema = R"({
  "definitions": {
    "email": {"type": "string", "format": "email", "ory.sh/kratos": {
      "credentials": {"password": {"identifier": true}, "code": {"identifier": true, "via": "email"}},
      "verification": {"via": "email"}, "recovery": {"via": "email"}}}
  },
  "type": "object",
  "properties": {
    "traits": {
      "type": "object",
      "properties": {
        "email": {"$ref": "#/definitions/email"},
        "username": {"type": "string", "ory.sh/kratos": {"credentials": {
          "password": {"identifier": true}, "webauthn": {"identifier": true},
          "totp": {"account_name": true}, "passkey": {"display_name": true}}}},
        "phone": {"type": "string", "format": "tel", "ory.sh/kratos": {
          "credentials": {"code": {"identifier": true, "via": "sms"}},
          "verification": {"via": "sms"}}},
        "backup_emails": {"type": "array", "items": {"type": "string", "format": "email",
          "ory.sh/kratos": {"recovery": {"via": "email"}}}},
        "aliases": {"type": "array",
          "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}},
        "profile": {"type": "object", "properties": {"work_email": {"$ref": "#/definitions/email"}}},
        "age": {"type": "integer", "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}
      }
    },
    "not_traits": {"type": "string", "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}
  }
})";

TEST(ExtensionTest, CollectsEveryMarkedTrait) {
  const auto schema = MustCompile(Parse(kRichSchema));
  const json traits = Parse(R"({
    "email": "Ada@Example.com",
    "username": "AdaL",
    "phone": "+49 176 1321 3110",
    "backup_emails": ["B@example.com", "c@example.com"],
    "aliases": ["Alias1", "ADA@example.com", 7],
    "profile": {"work_email": "ada@work.example"},
    "age": 36
  })");
  ASSERT_TRUE(schema.IsValid(json{{"traits", traits}})) << Describe(schema.Validate(
      json{{"traits", traits}}));
  const auto ext = ExtractExtension(schema, traits);
  // Walk order: traits properties in key order, array elements in order.
  EXPECT_THAT(ext.identifiers.password,
              ElementsAre("alias1", "ada@example.com", "ada@work.example", "adal"));
  EXPECT_THAT(ext.identifiers.webauthn, ElementsAre("adal"));
  EXPECT_THAT(ext.identifiers.totp_account_name, ElementsAre("AdaL"));
  EXPECT_THAT(ext.identifiers.passkey_display_name, ElementsAre("AdaL"));
  EXPECT_THAT(ext.identifiers.code,
              ElementsAre("ada@example.com", "+4917613213110", "ada@work.example"));
  EXPECT_THAT(ext.code_addresses, ElementsAre(Pair("email", "ada@example.com"),
                                              Pair("sms", "+4917613213110"),
                                              Pair("email", "ada@work.example")));
  EXPECT_THAT(ext.verifiable, ElementsAre(AddressRef{"ada@example.com", "email"},
                                          AddressRef{"+4917613213110", "sms"},
                                          AddressRef{"ada@work.example", "email"}));
  EXPECT_THAT(ext.recovery, ElementsAre(AddressRef{"b@example.com", "email"},
                                        AddressRef{"c@example.com", "email"},
                                        AddressRef{"ada@example.com", "email"},
                                        AddressRef{"ada@work.example", "email"}));
}

TEST(ExtensionTest, AbsentTraitsAndEmptyTraitsYieldNothing) {
  const auto schema = MustCompile(Parse(kRichSchema));
  const auto ext = ExtractExtension(schema, json::object());
  EXPECT_THAT(ext.identifiers.password, IsEmpty());
  EXPECT_THAT(ext.verifiable, IsEmpty());
  EXPECT_THAT(ExtractExtension(schema, nullptr).recovery, IsEmpty());
}

TEST(ExtensionTest, FollowsTraitsDefinedByRefAndApplicators) {
  const auto schema = MustCompile(Parse(R"({
    "$defs": {"traits": {"type": "object", "allOf": [{"properties": {"e": {"type": "string",
      "ory.sh/kratos": {"verification": {"via": "email"}}}}}],
      "anyOf": [{"required": ["x"]}, {"properties": {"u": {
        "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}}}]}},
    "properties": {"traits": {"$ref": "#/$defs/traits"}}})"));
  const auto ext = ExtractExtension(schema, Parse(R"({"e":"E@x.io","u":"U"})"));
  EXPECT_THAT(ext.verifiable, ElementsAre(AddressRef{"e@x.io", "email"}));
  EXPECT_THAT(ext.identifiers.password, ElementsAre("u"));
}

TEST(ExtensionTest, DuplicatesAreCollapsed) {
  const auto schema = MustCompile(Parse(R"({"properties":{"traits":{"properties":{
    "a": {"ory.sh/kratos": {"credentials": {"password": {"identifier": true}},
                            "verification": {"via": "email"}}},
    "b": {"ory.sh/kratos": {"credentials": {"password": {"identifier": true}},
                            "verification": {"via": "email"}}}}}}})"));
  const auto ext = ExtractExtension(schema, Parse(R"({"a":"X@y.z","b":"x@Y.z "})"));
  EXPECT_THAT(ext.identifiers.password, ElementsAre("x@y.z"));
  EXPECT_THAT(ext.verifiable, ElementsAre(AddressRef{"x@y.z", "email"}));
}

TEST(NormalizeTest, IdentifiersAreTrimmedAndLowerCased) {
  EXPECT_EQ(NormalizeIdentifier("  Foo@Example.COM\t\n"), "foo@example.com");
  EXPECT_EQ(NormalizeIdentifier("ÄÖÜ@Straße.DE"), "äöü@straße.de");
  EXPECT_EQ(NormalizeIdentifier("\xc2\xa0ΑΒΓ Δ\xe3\x80\x80"), "αβγ δ");
  EXPECT_EQ(NormalizeIdentifier("ПРИВЕТ Ёж"), "привет ёж");
  EXPECT_EQ(NormalizeIdentifier("ŁÓDŹ İ Ÿ"), "łódź i ÿ");
  EXPECT_EQ(NormalizeIdentifier("   "), "");
  EXPECT_EQ(NormalizeIdentifier("A\xff" "B"), "a\xff" "b");  // invalid byte kept
}

TEST(NormalizeTest, PhoneNumbersBecomeE164) {
  EXPECT_EQ(NormalizePhoneNumber(" +49 (176) 1321-3110 "), "+4917613213110");
  EXPECT_EQ(NormalizePhoneNumber(" 0176 1321 "), "0176 1321");
}

TEST(CheckIdentitySchemaTest, AcceptsTheSeedAndRichSchemas) {
  EXPECT_THAT(CheckIdentitySchema(SeedSchema()), IsOk());
  EXPECT_THAT(CheckIdentitySchema(Parse(kRichSchema)), IsOk());
  // Kratos's meta-schema only constrains `format` when one is declared.
  EXPECT_THAT(CheckIdentitySchema(Parse(R"({"properties":{"traits":{"properties":{
    "e":{"type":"string","ory.sh/kratos":{"verification":{"via":"email"}}}}}}})")),
              IsOk());
}

TEST(CheckIdentitySchemaTest, RejectsSchemasKratosRejects) {
  const char* const bad[] = {
      R"({"properties":{"traits":{"minLength":"x","properties":{"a":{}}}}})",  // does not compile
      R"(true)",
      R"({"type":"object"})",
      R"({"properties":{"email":{"type":"string"}}})",
      R"({"properties":{"traits":true}})",
      R"({"properties":{"traits":{"type":"string","properties":{"a":{}}}}})",
      R"({"properties":{"traits":{"type":"object"}}})",
      R"({"properties":{"traits":{"type":"object","properties":{}}}})",
      R"({"properties":{"traits":{"properties":{"a":true}}}})",
      R"({"properties":{"traits":{"properties":{"a":{"format":"uri",
          "ory.sh/kratos":{"verification":{"via":"email"}}}}}}})",
      R"({"properties":{"traits":{"properties":{"a":{"ory.sh/kratos":{"verfication":{}}}}}}})",
      R"({"properties":{"traits":{"properties":{"a":{"ory.sh/kratos":{"recovery":{"via":"sms"}}}}}}})",
      R"({"properties":{"traits":{"properties":{"a":{"ory.sh/kratos":{"verification":{"via":"pigeon"}}}}}}})",
      R"({"properties":{"traits":{"properties":{"a":{"ory.sh/kratos":{"credentials":{"code":{"identifier":true}}}}}}}})",
      R"({"properties":{"traits":{"properties":{"a":{"ory.sh/kratos":{"credentials":{"password":{"identifier":"yes"}}}}}}}})",
      R"({"properties":{"traits":{"properties":{"a":{"ory.sh/kratos":{"credentials":{"oidc":{}}}}}}}})",
      R"({"properties":{"traits":{"properties":{"a":{"ory.sh/kratos":"password"}}}}})",
      R"({"properties":{"traits":{"properties":{"a":{"type":"array","items":{
          "ory.sh/kratos":{"credentials":{"totp":{"account_name":1}}}}}}}}})",
  };
  for (const char* text : bad) {
    EXPECT_THAT(CheckIdentitySchema(Parse(text)), HasCode(Code::kInvalidArgument)) << text;
  }
}

TEST(CheckIdentitySchemaTest, MessageNamesTheOffendingLocation) {
  auto status = CheckIdentitySchema(Parse(R"({"properties":{"traits":{"properties":{
    "phone":{"format":"uri","ory.sh/kratos":{"verification":{"via":"sms"}}}}}}})"));
  ASSERT_FALSE(status.has_value());
  EXPECT_THAT(status.error().message(),
              ::testing::HasSubstr("#/properties/traits/properties/phone/format"));
}

}  // namespace
}  // namespace mneme::domain::identity
