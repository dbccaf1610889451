#include "mcp/schema_validate.hpp"

#include <cmath>

namespace azsql::mcp {

namespace bj = boost::json;

namespace {

bool is_integer(const bj::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (v.is_double()) {
    double d = v.get_double();
    return std::isfinite(d) && std::floor(d) == d;
  }
  return false;
}

bool type_matches(const bj::value& v, std::string_view t) {
  if (t == "string") return v.is_string();
  if (t == "integer") return is_integer(v);
  if (t == "number") return v.is_number();
  if (t == "boolean") return v.is_bool();
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "null") return v.is_null();
  return true;
}

const char* article_type(std::string_view t) {
  if (t == "integer" || t == "object" || t == "array") return "an ";
  return "a ";
}

double as_double(const bj::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

std::string num_text(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  return std::to_string(d);
}

}  // namespace

std::string validate_schema(const bj::value& value, const bj::object& schema, const std::string& path) {
  if (auto it = schema.find("type"); it != schema.end()) {
    const auto& t = it->value();
    if (t.is_string()) {
      std::string_view ts(t.get_string());
      if (!type_matches(value, ts)) return path + " must be " + article_type(ts) + std::string(ts);
    } else if (t.is_array()) {
      bool any = false;
      std::string names;
      for (const auto& e : t.get_array()) {
        if (!e.is_string()) continue;
        if (!names.empty()) names += " or ";
        names += std::string(e.get_string());
        if (type_matches(value, std::string_view(e.get_string()))) any = true;
      }
      if (!any) return path + " must be " + names;
    }
  }
  if (auto it = schema.find("enum"); it != schema.end() && it->value().is_array()) {
    bool found = false;
    std::string allowed;
    for (const auto& e : it->value().get_array()) {
      if (e == value) found = true;
      if (!allowed.empty()) allowed += ", ";
      allowed += bj::serialize(e);
    }
    if (!found) return path + " must be one of " + allowed;
  }
  if (auto it = schema.find("const"); it != schema.end() && !(it->value() == value)) {
    return path + " must be " + bj::serialize(it->value());
  }
  if (value.is_number()) {
    double d = as_double(value);
    if (auto it = schema.find("minimum"); it != schema.end() && it->value().is_number() && d < as_double(it->value()))
      return path + " must be at least " + num_text(as_double(it->value()));
    if (auto it = schema.find("maximum"); it != schema.end() && it->value().is_number() && d > as_double(it->value()))
      return path + " must be at most " + num_text(as_double(it->value()));
  }
  if (value.is_string()) {
    // Length in code points, as JSON Schema counts.
    std::size_t n = 0;
    for (unsigned char c : value.get_string()) n += (c & 0xC0) != 0x80;
    if (auto it = schema.find("minLength"); it != schema.end() && it->value().is_number() && n < as_double(it->value()))
      return path + " must have at least " + num_text(as_double(it->value())) + " characters";
    if (auto it = schema.find("maxLength"); it != schema.end() && it->value().is_number() && n > as_double(it->value()))
      return path + " must have at most " + num_text(as_double(it->value())) + " characters";
  }
  if (value.is_array()) {
    const auto& a = value.get_array();
    if (auto it = schema.find("minItems"); it != schema.end() && it->value().is_number() && a.size() < as_double(it->value()))
      return path + " must have at least " + num_text(as_double(it->value())) + " items";
    if (auto it = schema.find("maxItems"); it != schema.end() && it->value().is_number() && a.size() > as_double(it->value()))
      return path + " must have at most " + num_text(as_double(it->value())) + " items";
    if (auto it = schema.find("items"); it != schema.end() && it->value().is_object()) {
      for (std::size_t i = 0; i < a.size(); ++i) {
        auto err = validate_schema(a[i], it->value().get_object(), path + "[" + std::to_string(i) + "]");
        if (!err.empty()) return err;
      }
    }
  }
  if (value.is_object()) {
    const auto& o = value.get_object();
    const bj::object* props = nullptr;
    if (auto it = schema.find("properties"); it != schema.end() && it->value().is_object()) props = &it->value().get_object();
    if (auto it = schema.find("required"); it != schema.end() && it->value().is_array()) {
      for (const auto& r : it->value().get_array()) {
        if (r.is_string() && !o.contains(r.get_string())) return path + "." + std::string(r.get_string()) + " is required";
      }
    }
    auto addl = schema.find("additionalProperties");
    for (const auto& kv : o) {
      std::string sub = path + "." + std::string(kv.key());
      if (props) {
        if (auto p = props->find(kv.key()); p != props->end()) {
          if (p->value().is_object()) {
            auto err = validate_schema(kv.value(), p->value().get_object(), sub);
            if (!err.empty()) return err;
          }
          continue;
        }
      }
      if (addl != schema.end()) {
        if (addl->value().is_bool() && !addl->value().get_bool()) {
          std::string known;
          if (props) {
            for (const auto& p : *props) {
              if (!known.empty()) known += ", ";
              known += std::string(p.key());
            }
          }
          return path + " has an unknown property '" + std::string(kv.key()) + "'" +
                 (known.empty() ? std::string() : " (allowed: " + known + ")");
        }
        if (addl->value().is_object()) {
          auto err = validate_schema(kv.value(), addl->value().get_object(), sub);
          if (!err.empty()) return err;
        }
      }
    }
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (auto it = schema.find(key); it != schema.end() && it->value().is_array()) {
      std::string first;
      bool ok = false;
      for (const auto& alt : it->value().get_array()) {
        if (!alt.is_object()) continue;
        auto err = validate_schema(value, alt.get_object(), path);
        if (err.empty()) {
          ok = true;
          break;
        }
        if (first.empty()) first = err;
      }
      if (!ok) return first.empty() ? path + " does not match any allowed form" : first;
    }
  }
  return {};
}

}  // namespace azsql::mcp
