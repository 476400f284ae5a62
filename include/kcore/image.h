/* The signed VM image (docs/image-format.md): the payload as linked, then a
 * 128-byte little-endian trailer. The host loads the whole file into the
 * image slot (SET_BOOT_INFO's size is the file size); KCore checks the
 * trailer and an Ed25519 signature over the first payload_size + 64 bytes
 * (kcore/crypto.c). */
#ifndef KCORE_IMAGE_H
#define KCORE_IMAGE_H

#include "kcore/types.h"

#define IMAGE_MAGIC "KCORESIG"
#define IMAGE_VERSION 1
#define IMAGE_TRAILER_SIZE 128
/* offsets in the trailer */
#define IMAGE_OFF_MAGIC 0
#define IMAGE_OFF_VERSION 8
#define IMAGE_OFF_TRAILER_SIZE 12
#define IMAGE_OFF_PAYLOAD_SIZE 16
#define IMAGE_OFF_LOAD_ADDR 24
#define IMAGE_OFF_KEY_ID 32
#define IMAGE_OFF_RESERVED 40
#define IMAGE_OFF_SIG 64
#define IMAGE_KEY_ID_SIZE 8
#define IMAGE_RESERVED_SIZE 24

/* The public keys that may sign VM images, provisioned when KCore is built
 * (make KCORE_KEYS=<pem file>; scripts/keys-to-c writes the table
 * image_keys[] of crypto/image_keys.h into build/keys/keys.c). */
#include "crypto/image_keys.h"

/* The device secret the per-VM export keys are derived from (32 bytes).
 * On QEMU it is provisioned at build time into KCore's image, whose pages
 * the host can never map; real hardware takes it from a fused key or from
 * the firmware (docs/image-format.md, "Device secret"). */
#define DEVICE_SECRET_SIZE 32
extern const u8 kcore_device_secret[DEVICE_SECRET_SIZE];

#endif
