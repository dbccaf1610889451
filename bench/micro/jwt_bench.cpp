// Bearer-token validation on the request path (src/auth/jwt_validator): keys already cached (no
// network). BM_ValidateRemembered is what a client reusing its token pays per request (the normal
// case: one token for ~1 h); BM_ValidateFirstUse is a token never seen before (full RS256 check).
#include <benchmark/benchmark.h>

#include "../../tests/unit/auth/jwt_mint.hpp"
#include "auth/jwt_validator.hpp"

using namespace azsql::auth;
using namespace azsql::auth::testing;

namespace {
const std::string kTenant = "00000000-0000-0000-0000-0000000000aa";
const std::string kAud = "api://azsql-mcp";

struct Fixture {
  TestKey key{"bench-k1"}, other{"bench-k2"};
  std::shared_ptr<const SigningKeys> keys = *SigningKeys::from_jwks(jwks({&key, &other}));
  std::string token = mint({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "bench-k1"}},
                           user_claims(kTenant, kAud, "3fa85f64-5717-4562-b3fc-2c963f66afa6", "Sql.Read Sql.Write"), &key);
  ValidatorOptions options(std::size_t remember) {
    ValidatorOptions o;
    o.tenant_id = kTenant;
    o.audiences = {kAud};
    o.remember_max = remember;
    return o;
  }
};
Fixture& fx() {
  static Fixture f;
  return f;
}

void BM_ValidateRemembered(benchmark::State& state) {
  JwtValidator v(fx().options(4096), fx().keys);
  if (!v.validate(fx().token).ok()) state.SkipWithError("token refused");
  for (auto _ : state) benchmark::DoNotOptimize(v.validate(fx().token));
}
BENCHMARK(BM_ValidateRemembered);

void BM_ValidateFirstUse(benchmark::State& state) {
  JwtValidator v(fx().options(0), fx().keys);
  for (auto _ : state) {
    auto r = v.validate(fx().token);
    if (!r.ok()) state.SkipWithError("token refused");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ValidateFirstUse);
}  // namespace
