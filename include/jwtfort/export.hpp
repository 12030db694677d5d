#pragma once
/// `JWTFORT_API` marks the symbols jwtfort exports; everything else is hidden.

#if defined(JWTFORT_STATIC)
#define JWTFORT_API
#elif defined(_WIN32)
#if defined(JWTFORT_BUILDING)
#define JWTFORT_API __declspec(dllexport)
#else
#define JWTFORT_API __declspec(dllimport)
#endif
#else
#define JWTFORT_API __attribute__((visibility("default")))
#endif
