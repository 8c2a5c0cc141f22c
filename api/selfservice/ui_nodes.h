// The UI nodes of self-service flows, as Kratos v1.3.1 renders them: input
// attributes in Go's field order, trait nodes generated from the identity
// schema in its authors' key order, labels and message ids from Kratos's
// text catalogue. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mneme::api::ui {

using ojson = nlohmann::ordered_json;

ojson Text(int64_t id, const std::string& text, const std::string& type = "info",
           const ojson& context = nullptr);

struct Input {
  std::string group = "default";
  std::string name;
  std::string type = "text";
  ojson value = nullptr;  // null: no "value" key
  bool required = false;
  std::string autocomplete;
  std::string pattern;
  int maxlength = 0;      // 0: no "maxlength" key
  ojson label = nullptr;  // a Text, or null
};
ojson InputNode(const Input& in);

ojson CsrfNode(const std::string& masked);
// An anchor node (Kratos's NewAnchorField): a link the UI shows as a button.
ojson AnchorNode(const std::string& id, const std::string& href, const std::string& group,
                 const ojson& title);  // "" for api flows
ojson PasswordNode(bool new_password);
ojson SubmitNode(const std::string& group, const std::string& value, const ojson& label);

// Trait input nodes from the identity schema's properties.traits, leaves in
// schema order ("traits.email", "traits.name.first").
std::vector<ojson> TraitNodes(const ojson& schema, const std::string& group);
// Leaf paths of the traits in schema order ("traits.email", ...).
std::vector<std::string> TraitKeys(const ojson& schema);

// The label of the login `identifier` node: the title of the one trait
// marked as an identifier, else 1070004 "ID".
ojson IdentifierLabel(const ojson& schema);

// Sets values ("traits.email" -> "a@b.c") on the nodes of those names.
void FillValues(std::vector<ojson>& nodes, const nlohmann::json& values);
// Adds messages (name -> [uiText]) to the nodes of those names.
void AddNodeMessages(std::vector<ojson>& nodes, const nlohmann::json& messages);

// Kratos's SortBySchema within groups ranked by `group_order`; `keys` gives
// the position of nodes by name prefix; "method" submits go last.
void SortNodes(std::vector<ojson>& nodes, const std::vector<std::string>& group_order,
               const std::vector<std::string>& keys);

// The value of a dotted name ("traits.name.first") in a nested object, or null.
nlohmann::json ValueAt(const nlohmann::json& object, const std::string& dotted);

}  // namespace mneme::api::ui
