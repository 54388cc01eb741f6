// Pins the ext_authz wire format to Envoy's field numbers (looked up in
// envoyproxy/envoy api/envoy/service/auth/v3/*.proto, config/core/v3/
// base.proto, type/v3/http_status.proto and googleapis google/rpc/
// status.proto): requests are hand-encoded the way Envoy encodes them and
// parsed with our generated classes; our responses are decoded tag by tag.
// A renumbered field in proto/envoy or proto/google fails here. The
// dynamic_metadata test decodes what FillCheckResponse (the real mapping)
// sends, so the keys an Envoy access log can print are pinned here.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/unknown_field_set.h>

#include <map>
#include <set>
#include <string>

#include "envoy/service/auth/v3/external_auth.pb.h"
#include "gtest/gtest.h"
#include "service/decision/engine.h"
#include "service/rpc/ext_authz_mapping.h"

namespace corsd::rpc {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// Length-delimited field `number` = `bytes`.
std::string Field(int number, const std::string& bytes) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(static_cast<uint32_t>(number << 3 | 2));
    coded.WriteVarint32(static_cast<uint32_t>(bytes.size()));
    coded.WriteString(bytes);
  }
  return out;
}

// A map<string, string> entry (key = 1, value = 2) as field `number`.
std::string MapEntry(int number, const std::string& key,
                     const std::string& value) {
  return Field(number, Field(1, key) + Field(2, value));
}

// The single field numbered `number` of serialized `message`; a failure
// (and nullptr) when it is absent or repeated.
const UnknownField* One(const std::string& message, int number,
                        UnknownFieldSet* storage) {
  EXPECT_TRUE(storage->ParseFromString(message));
  const UnknownField* found = nullptr;
  for (int i = 0; i < storage->field_count(); ++i) {
    if (storage->field(i).number() != number) continue;
    EXPECT_EQ(found, nullptr) << "field " << number << " repeated";
    found = &storage->field(i);
  }
  EXPECT_NE(found, nullptr) << "field " << number << " missing";
  return found;
}

// Length-delimited field `number` of `message` ("" when missing).
std::string Bytes(const std::string& message, int number) {
  UnknownFieldSet fields;
  const UnknownField* f = One(message, number, &fields);
  if (f == nullptr || f->type() != UnknownField::TYPE_LENGTH_DELIMITED) {
    ADD_FAILURE() << "field " << number << " is not length-delimited";
    return "";
  }
  return f->length_delimited();
}

// Varint field `number` of `message` (0 when missing).
uint64_t Varint(const std::string& message, int number) {
  UnknownFieldSet fields;
  const UnknownField* f = One(message, number, &fields);
  if (f == nullptr || f->type() != UnknownField::TYPE_VARINT) {
    ADD_FAILURE() << "field " << number << " is not a varint";
    return 0;
  }
  return f->varint();
}

TEST(EnvoyWireTest, CheckRequestAsEnvoyEncodesIt) {
  // CheckRequest.attributes = 1; AttributeContext.request = 4,
  // .context_extensions = 10; Request.http = 2; HttpRequest.method = 2,
  // .headers = 3, .path = 4, .host = 5, .scheme = 6.
  const std::string http =
      Field(2, "OPTIONS") + MapEntry(3, "origin", "https://a.example") +
      Field(4, "/p") + Field(5, "api.example") + Field(6, "https");
  const std::string attributes =
      Field(4, Field(2, http)) + MapEntry(10, "tenant", "acme");
  envoy::service::auth::v3::CheckRequest check;
  ASSERT_TRUE(check.ParseFromString(Field(1, attributes)));
  const auto& h = check.attributes().request().http();
  EXPECT_EQ(h.method(), "OPTIONS");
  EXPECT_EQ(h.headers().at("origin"), "https://a.example");
  EXPECT_EQ(h.path(), "/p");
  EXPECT_EQ(h.host(), "api.example");
  EXPECT_EQ(h.scheme(), "https");
  EXPECT_EQ(check.attributes().context_extensions().at("tenant"), "acme");
}

TEST(EnvoyWireTest, RawHeaderMapIsField13) {
  // HttpRequest.header_map = 13; HeaderMap.headers = 1; HeaderValue.key = 1,
  // .raw_value = 3.
  const std::string header = Field(1, "origin") + Field(3, "https://b.example");
  const std::string http = Field(13, Field(1, header));
  envoy::service::auth::v3::CheckRequest check;
  ASSERT_TRUE(check.ParseFromString(Field(1, Field(4, Field(2, http)))));
  const auto& map = check.attributes().request().http().header_map();
  ASSERT_EQ(map.headers_size(), 1);
  EXPECT_EQ(map.headers(0).key(), "origin");
  EXPECT_EQ(map.headers(0).raw_value(), "https://b.example");
}

TEST(EnvoyWireTest, OkResponseUsesEnvoysNumbers) {
  envoy::service::auth::v3::CheckResponse response;
  response.mutable_status()->set_code(0);
  auto* add = response.mutable_ok_response()->add_response_headers_to_add();
  add->mutable_header()->set_key("vary");
  add->mutable_header()->set_value("Origin");
  add->mutable_append()->set_value(true);
  // CheckResponse.ok_response = 3; OkHttpResponse.response_headers_to_add =
  // 6; HeaderValueOption.header = 1, .append = 2 (BoolValue.value = 1);
  // HeaderValue.key = 1, .value = 2.
  const std::string top = response.SerializeAsString();
  const std::string option = Bytes(Bytes(top, 3), 6);
  const std::string header = Bytes(option, 1);
  EXPECT_EQ(Bytes(header, 1), "vary");
  EXPECT_EQ(Bytes(header, 2), "Origin");
  EXPECT_EQ(Varint(Bytes(option, 2), 1), 1u);
}

TEST(EnvoyWireTest, DeniedResponseUsesEnvoysNumbers) {
  envoy::service::auth::v3::CheckResponse response;
  response.mutable_status()->set_code(7);
  response.mutable_status()->set_message("why");
  auto* denied = response.mutable_denied_response();
  denied->mutable_status()->set_code(envoy::type::v3::NoContent);
  denied->add_headers()->mutable_header()->set_key("vary");
  // CheckResponse.status = 1 (google.rpc.Status.code = 1, .message = 2),
  // .denied_response = 2; DeniedHttpResponse.status = 1 (HttpStatus.code =
  // 1), .headers = 2.
  const std::string top = response.SerializeAsString();
  EXPECT_EQ(Varint(Bytes(top, 1), 1), 7u);
  EXPECT_EQ(Bytes(Bytes(top, 1), 2), "why");
  const std::string d = Bytes(top, 2);
  EXPECT_EQ(Varint(Bytes(d, 1), 1), 204u);
  EXPECT_EQ(Bytes(Bytes(Bytes(d, 2), 1), 1), "vary");
}

// The dynamic_metadata keys Envoy receives from corsd's Check answers.
// deploy/check_envoy.py reads this array: every
// %DYNAMIC_METADATA(envoy.filters.http.ext_authz:KEY)% in
// deploy/envoy/envoy.yaml must name one of them.
constexpr const char* kReceivedKeys[] = {"reason", "rule", "tenant",
                                         "decision_id"};

TEST(EnvoyWireTest, DynamicMetadataIsField4OfStringValues) {
  for (const decision::Action action :
       {decision::Action::kContinue, decision::Action::kAnswer}) {
    decision::Decision d;
    d.action = action;
    d.status = action == decision::Action::kAnswer ? 403 : 0;
    d.reason = decision::Reason::kR2OriginNotAllowed;
    d.tenant_name = "acme";
    envoy::service::auth::v3::CheckResponse response;
    FillCheckResponse(d, &response, "00000000000000ff");
    // CheckResponse.dynamic_metadata = 4 (google.protobuf.Struct);
    // Struct.fields = 1, map entries (key = 1, value = 2); Value.string_value
    // = 3.
    const std::string metadata = Bytes(response.SerializeAsString(), 4);
    UnknownFieldSet entries;
    ASSERT_TRUE(entries.ParseFromString(metadata));
    std::map<std::string, std::string> received;
    for (int i = 0; i < entries.field_count(); ++i) {
      const UnknownField& entry = entries.field(i);
      ASSERT_EQ(entry.number(), 1);
      ASSERT_EQ(entry.type(), UnknownField::TYPE_LENGTH_DELIMITED);
      received[Bytes(entry.length_delimited(), 1)] =
          Bytes(Bytes(entry.length_delimited(), 2), 3);
    }
    EXPECT_EQ(received, (std::map<std::string, std::string>{
                            {"reason", "REASON_R2_ORIGIN_NOT_ALLOWED"},
                            {"rule", "R2"},
                            {"tenant", "acme"},
                            {"decision_id", "00000000000000ff"}}));
    std::set<std::string> keys;
    for (const auto& [key, value] : received) keys.insert(key);
    EXPECT_EQ(keys, std::set<std::string>(std::begin(kReceivedKeys),
                                          std::end(kReceivedKeys)));
  }
}

TEST(EnvoyWireTest, AppendActionIsField3) {
  envoy::config::core::v3::HeaderValueOption option;
  option.set_append_action(
      envoy::config::core::v3::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  option.set_keep_empty_value(true);
  const std::string bytes = option.SerializeAsString();
  EXPECT_EQ(Varint(bytes, 3), 2u);
  EXPECT_EQ(Varint(bytes, 4), 1u);
}

}  // namespace
}  // namespace corsd::rpc
