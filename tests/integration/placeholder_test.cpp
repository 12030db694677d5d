// PLACEHOLDER so the integration target has a source until the store tests land.
#include <gtest/gtest.h>
