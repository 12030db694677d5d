// PLACEHOLDER: replaced by the remote JWKS source.
#include "jwtfort/remote_jwks.hpp"
