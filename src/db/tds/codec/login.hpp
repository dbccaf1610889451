#pragma once
/// PRELOGIN (MS-TDS §2.2.6.5) and LOGIN7 (§2.2.6.4) messages. Pure functions over bytes.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "db/tds/codec/wire.hpp"

namespace azsql::db::tds {

/// PRELOGIN ENCRYPTION values (§2.2.6.5).
enum class Encryption : std::uint8_t { Off = 0, On = 1, NotSup = 2, Req = 3 };

/// PRELOGIN option tokens.
enum class PreloginOption : std::uint8_t {
  Version = 0x00,
  Encryption = 0x01,
  InstOpt = 0x02,
  ThreadId = 0x03,
  Mars = 0x04,
  TraceId = 0x05,
  FedAuthRequired = 0x06,
  NonceOpt = 0x07,
  Terminator = 0xFF,
};

/// The fields of a PRELOGIN message we send or read. Options absent on the wire stay unset.
struct Prelogin {
  std::array<std::uint8_t, 6> version{};  ///< major, minor, build (big-endian), sub-build
  Encryption encryption = Encryption::Off;
  std::optional<std::uint32_t> thread_id;
  std::optional<std::uint8_t> mars;
  std::optional<std::uint8_t> fedauth_required;
  std::optional<std::array<std::uint8_t, 32>> nonce;
  std::string instance;  ///< INSTOPT (client sends "", i.e. one NUL byte)
};

/// Builds a client PRELOGIN payload: VERSION, ENCRYPTION, INSTOPT, THREADID (if set), MARS (if set),
/// FEDAUTHREQUIRED (if set), in that order.
Bytes build_prelogin(const Prelogin& p);
/// Parses a PRELOGIN payload (a server's reply, or a client's request in tests). Never throws.
Result<Prelogin> parse_prelogin(ByteView payload);

/// FEDAUTH feature extension, security-token workflow (§2.2.6.4 FEDAUTH, library 0x01).
struct FedAuthToken {
  std::string token;  ///< the access token (ASCII/UTF-8), sent as UTF-16LE
  bool echo = false;  ///< the server's PRELOGIN FEDAUTHREQUIRED answer
  std::optional<std::array<std::uint8_t, 32>> nonce;  ///< the server's NONCEOPT, echoed
};

/// LOGIN7 fields (§2.2.6.4).
struct Login7 {
  std::uint32_t tds_version = 0x74000004;  ///< TDS 7.4
  std::uint32_t packet_size = 4096;
  std::uint32_t client_prog_version = 0x00000001;
  std::uint32_t client_pid = 0;
  std::uint32_t connection_id = 0;
  std::uint8_t option_flags1 = 0xE0;  ///< USE_DB_ON | INIT_DB_FATAL | SET_LANG_ON
  std::uint8_t option_flags2 = 0x03;  ///< INIT_LANG_FATAL | ODBC_ON
  std::uint8_t type_flags = 0x00;     ///< READ_ONLY_INTENT = 0x20
  std::uint8_t option_flags3 = 0x00;  ///< EXTENSION = 0x10 is set automatically with features
  std::int32_t client_time_zone = 0;
  std::uint32_t client_lcid = 0x0409;
  std::string host_name, user_name, password, app_name, server_name, library_name, language, database;
  std::array<std::uint8_t, 6> client_id{};
  bool read_only_intent = false;
  std::optional<FedAuthToken> fedauth;
};

/// Password obfuscation: UTF-16LE, each byte's nibbles swapped, XOR 0xA5 (§2.2.6.4).
Bytes obfuscate_password(std::string_view password);
/// Builds the LOGIN7 payload (no packet header).
Bytes build_login7(const Login7& l);

/// Feature ids (§2.2.6.4 FeatureExt).
inline constexpr std::uint8_t kFeatureFedAuth = 0x02;
inline constexpr std::uint8_t kFeatureUtf8Support = 0x0A;
inline constexpr std::uint8_t kFeatureTerminator = 0xFF;
inline constexpr std::uint8_t kFedAuthLibrarySecurityToken = 0x01;

}  // namespace azsql::db::tds
