/* version.h — the release version of Onramp. */
#ifndef ONRAMP_VERSION_H
#define ONRAMP_VERSION_H
#define ONRAMP_VERSION "0.1.0"
#endif
