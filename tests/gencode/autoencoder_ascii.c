/* examples/autoencoder_ascii.sg (prefix ae): the autoencoder's checks */
#include "autoencoder_ascii.h"
#define PFX ae
#include "autoencoder.c"
