#include "api/selfservice/ui_nodes.h"

#include <algorithm>

namespace mneme::api::ui {
namespace {

std::string InputTypeOf(const ojson& prop, std::string& autocomplete) {
  const std::string type = prop.contains("type") && prop["type"].is_string()
                               ? prop["type"].get<std::string>()
                               : "string";
  if (type == "number" || type == "integer") {
    return "number";
  }
  if (type == "boolean") {
    return "checkbox";
  }
  const std::string format =
      prop.contains("format") && prop["format"].is_string() ? prop["format"].get<std::string>() : "";
  if (format == "email") {
    autocomplete = "email";
    return "email";
  }
  if (format == "tel") {
    autocomplete = "tel";
    return "tel";
  }
  if (format == "date-time") {
    return "datetime-local";
  }
  if (format == "date") {
    return "date";
  }
  if (format == "uri") {
    autocomplete = "url";
    return "url";
  }
  return "text";
}

bool IsMarkedIdentifier(const ojson& prop) {
  if (!prop.contains("ory.sh/kratos") || !prop["ory.sh/kratos"].is_object()) {
    return false;
  }
  const auto& ext = prop["ory.sh/kratos"];
  if (!ext.contains("credentials") || !ext["credentials"].is_object()) {
    return false;
  }
  for (const auto& [method, cfg] : ext["credentials"].items()) {
    if (!cfg.is_object()) {
      continue;
    }
    for (const char* flag : {"identifier", "display_name"}) {
      if (cfg.contains(flag) && cfg[flag].is_boolean() && cfg[flag].get<bool>()) {
        return true;
      }
    }
  }
  return false;
}

const ojson* TraitsSchema(const ojson& schema) {
  if (!schema.is_object() || !schema.contains("properties") ||
      !schema["properties"].contains("traits")) {
    return nullptr;
  }
  return &schema["properties"]["traits"];
}

template <typename F>
void WalkLeaves(const ojson& object_schema, const std::string& prefix, F&& f) {
  if (!object_schema.is_object() || !object_schema.contains("properties") ||
      !object_schema["properties"].is_object()) {
    return;
  }
  std::vector<std::string> required;
  if (object_schema.contains("required") && object_schema["required"].is_array()) {
    for (const auto& r : object_schema["required"]) {
      if (r.is_string()) {
        required.push_back(r.get<std::string>());
      }
    }
  }
  for (const auto& [key, prop] : object_schema["properties"].items()) {
    const std::string name = prefix + "." + key;
    if (prop.is_object() && prop.value("type", "") == "object") {
      WalkLeaves(prop, name, f);
      continue;
    }
    f(name, prop, std::find(required.begin(), required.end(), key) != required.end());
  }
}

std::string Printed(const ojson& v) {
  if (v.is_null()) {
    return "<nil>";
  }
  if (v.is_string()) {
    return v.get<std::string>();
  }
  return v.dump();
}

}  // namespace

ojson Text(int64_t id, const std::string& text, const std::string& type, const ojson& context) {
  ojson t = {{"id", id}, {"text", text}, {"type", type}};
  if (!context.is_null()) {
    t["context"] = context;
  }
  return t;
}

ojson InputNode(const Input& in) {
  ojson attrs = ojson::object();
  attrs["name"] = in.name;
  attrs["type"] = in.type;
  if (!in.value.is_null()) {
    attrs["value"] = in.value;
  }
  if (in.required) {
    attrs["required"] = true;
  }
  if (!in.autocomplete.empty()) {
    attrs["autocomplete"] = in.autocomplete;
  }
  if (!in.pattern.empty()) {
    attrs["pattern"] = in.pattern;
  }
  attrs["disabled"] = false;
  if (in.maxlength > 0) {
    attrs["maxlength"] = in.maxlength;
  }
  attrs["node_type"] = "input";
  ojson meta = ojson::object();
  if (!in.label.is_null()) {
    meta["label"] = in.label;
  }
  return ojson{{"type", "input"},
               {"group", in.group},
               {"attributes", attrs},
               {"messages", ojson::array()},
               {"meta", meta}};
}

ojson AnchorNode(const std::string& id, const std::string& href, const std::string& group,
                 const ojson& title) {
  return ojson{{"type", "a"},
               {"group", group},
               {"attributes", {{"href", href}, {"title", title}, {"id", id}, {"node_type", "a"}}},
               {"messages", ojson::array()},
               {"meta", {{"label", title}}}};
}

ojson CsrfNode(const std::string& masked) {
  Input in;
  in.name = "csrf_token";
  in.type = "hidden";
  in.value = masked;
  in.required = true;
  return InputNode(in);
}

ojson PasswordNode(bool new_password) {
  Input in;
  in.group = "password";
  in.name = "password";
  in.type = "password";
  in.required = true;
  in.autocomplete = new_password ? "new-password" : "current-password";
  in.label = Text(1070001, "Password");
  return InputNode(in);
}

ojson SubmitNode(const std::string& group, const std::string& value, const ojson& label) {
  Input in;
  in.group = group;
  in.name = "method";
  in.type = "submit";
  in.value = value;
  in.label = label;
  return InputNode(in);
}

std::vector<ojson> TraitNodes(const ojson& schema, const std::string& group) {
  std::vector<ojson> out;
  const ojson* traits = TraitsSchema(schema);
  if (!traits) {
    return out;
  }
  WalkLeaves(*traits, "traits", [&](const std::string& name, const ojson& prop, bool required) {
    Input in;
    in.group = group;
    in.name = name;
    in.type = InputTypeOf(prop, in.autocomplete);
    in.required = required;
    if (prop.contains("pattern") && prop["pattern"].is_string()) {
      in.pattern = prop["pattern"].get<std::string>();
    }
    if (prop.contains("title") && prop["title"].is_string() &&
        !prop["title"].get<std::string>().empty()) {
      const std::string title = prop["title"].get<std::string>();
      in.label = Text(1070002, title, "info", ojson{{"title", title}});
    }
    out.push_back(InputNode(in));
  });
  return out;
}

std::vector<std::string> TraitKeys(const ojson& schema) {
  std::vector<std::string> keys;
  if (const ojson* traits = TraitsSchema(schema)) {
    WalkLeaves(*traits, "traits",
               [&](const std::string& name, const ojson&, bool) { keys.push_back(name); });
  }
  return keys;
}

ojson IdentifierLabel(const ojson& schema) {
  std::vector<std::string> titles;
  int marked = 0;
  if (const ojson* traits = TraitsSchema(schema)) {
    WalkLeaves(*traits, "traits", [&](const std::string&, const ojson& prop, bool) {
      if (IsMarkedIdentifier(prop)) {
        ++marked;
        titles.push_back(prop.value("title", ""));
      }
    });
  }
  if (marked == 1 && !titles.front().empty()) {
    return Text(1070002, titles.front(), "info", ojson{{"title", titles.front()}});
  }
  return Text(1070004, "ID");
}

nlohmann::json ValueAt(const nlohmann::json& object, const std::string& dotted) {
  const nlohmann::json* cur = &object;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    const std::string part =
        dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) {
      return nullptr;
    }
    cur = &(*cur)[part];
    if (dot == std::string::npos) {
      return *cur;
    }
    start = dot + 1;
  }
  return nullptr;
}

void FillValues(std::vector<ojson>& nodes, const nlohmann::json& values) {
  if (!values.is_object()) {
    return;
  }
  for (auto& node : nodes) {
    auto& attrs = node["attributes"];
    const std::string name = attrs.value("name", "");
    if (name == "csrf_token" || name == "method" || name == "password" ||
        !values.contains(name)) {
      continue;
    }
    // Keep Go's attribute order: value right after type.
    ojson rebuilt = ojson::object();
    for (auto& [k, v] : attrs.items()) {
      if (k == "value") {
        continue;
      }
      rebuilt[k] = v;
      if (k == "type") {
        rebuilt["value"] = ojson::parse(values[name].dump());
      }
    }
    attrs = std::move(rebuilt);
  }
}

void AddNodeMessages(std::vector<ojson>& nodes, const nlohmann::json& messages) {
  if (!messages.is_object()) {
    return;
  }
  for (const auto& [name, list] : messages.items()) {
    auto it = std::find_if(nodes.begin(), nodes.end(), [&](const ojson& n) {
      return n["attributes"].value("name", "") == name;
    });
    if (it == nodes.end()) {
      // Kratos appends a plain input for a message whose node is not shown
      // (the password of a two-step registration's first screen).
      Input in;
      in.name = name;
      nodes.push_back(InputNode(in));
      it = std::prev(nodes.end());
    }
    for (const auto& m : list) {
      (*it)["messages"].push_back(ojson::parse(m.dump()));
    }
  }
}

void SortNodes(std::vector<ojson>& nodes, const std::vector<std::string>& group_order,
               const std::vector<std::string>& keys) {
  auto group_rank = [&](const ojson& n) -> int {
    const std::string g = n.value("group", "");
    auto it = std::find(group_order.begin(), group_order.end(), g);
    return it == group_order.end() ? -1 : static_cast<int>(it - group_order.begin());
  };
  auto key_rank = [&](const ojson& n) -> size_t {
    const std::string name = n["attributes"].value("name", "");
    if (name == "method") {
      return keys.size() + 1;
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (name.rfind(keys[i], 0) == 0) {
        return i;
      }
    }
    return keys.size();
  };
  std::stable_sort(nodes.begin(), nodes.end(), [&](const ojson& a, const ojson& b) {
    const int ga = group_rank(a);
    const int gb = group_rank(b);
    if (ga != gb) {
      return ga < gb;
    }
    const size_t ka = key_rank(a);
    const size_t kb = key_rank(b);
    if (ka != kb) {
      return ka < kb;
    }
    return Printed(a["attributes"].value("value", ojson())) <
           Printed(b["attributes"].value("value", ojson()));
  });
}

}  // namespace mneme::api::ui
