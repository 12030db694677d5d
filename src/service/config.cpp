// PLACEHOLDER: replaced by the configuration loader.
#include "jwtfort/config.hpp"
