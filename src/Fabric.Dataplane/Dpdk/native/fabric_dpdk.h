/*
 * fabric_dpdk: the thin C layer between Fabric's AC (C#) and DPDK's cryptodev.
 *
 * Why it exists: cryptodev's fast-path calls (rte_cryptodev_enqueue_burst, rte_crypto_op_alloc, mbuf helpers)
 * are static inline functions, so C# cannot P/Invoke them; this library compiles them into exported symbols.
 * Rules: every function returns a status (never aborts, never longjmps); text errors go into a caller buffer
 * and say what was wrong and what to do.
 */
#ifndef FABRIC_DPDK_H
#define FABRIC_DPDK_H

#include <stddef.h>
#include <stdint.h>

#define FD_OK 0
#define FD_ERR_ARGS -1        /* a bad argument (null, size out of range) */
#define FD_ERR_EAL -2         /* EAL could not start, or has not been started */
#define FD_ERR_EAL_ONCE -3    /* rte_eal_init already ran in this process (it can only run once) */
#define FD_ERR_NO_DEVICE -4   /* no cryptodev of that name */
#define FD_ERR_DEVICE -5      /* configure / queue pair setup / start failed */
#define FD_ERR_NO_MEMORY -6   /* a mempool could not be created or is empty */
#define FD_ERR_UNSUPPORTED -7 /* the device does not do this (capability check) */
#define FD_ERR_SESSION -8     /* session creation failed */
#define FD_ERR_TOO_LARGE -9   /* the op does not fit the device's buffers */
#define FD_ERR_BUSY -10       /* the queue pair did not take the op (full) */

/* Completion status of an op (fd_aead_done.status). */
#define FD_OP_OK 0
#define FD_OP_AUTH_FAILED 1
#define FD_OP_ERROR 2
#define FD_OP_OUT_OF_SPACE 3 /* compressdev: the output did not fit */

/* What a session does (fd_session_create). A session of a compressdev holds its private xforms. */
#define FD_ALGO_AES_GCM 0
#define FD_ALGO_CHACHA20_POLY1305 1
#define FD_ALGO_SHA256 2
#define FD_ALGO_HMAC_SHA256 3
#define FD_ALGO_DEFLATE 4

/* Capability bits of fd_device_desc, read from the PMD's capabilities. */
#define FD_CAP_AES128_GCM 0x1
#define FD_CAP_AES256_GCM 0x2
#define FD_CAP_CHACHA20_POLY1305 0x4
#define FD_CAP_SHA256 0x8
#define FD_CAP_HMAC_SHA256 0x10
#define FD_CAP_DEFLATE 0x20

#define FD_KIND_CRYPTO 0
#define FD_KIND_COMPRESS 1

/* One device EAL probed (a vdev or an allowed PCI device). */
typedef struct fd_device_desc
{
    char name[64];
    char driver[64];
    int32_t socket_id;
    uint32_t max_queue_pairs; /* 0: the PMD sets no limit */
    uint32_t capabilities;    /* FD_CAP_* */
    uint32_t kind;            /* FD_KIND_* */
} fd_device_desc;

typedef struct fd_cryptodev fd_cryptodev;
typedef struct fd_aead_session fd_aead_session;

/* Zero copy (fd_zero_copy_mode): how a device's ops reach guest memory registered with fd_region_add.
 * FD_ZC_NONE: every op is copied into and out of an mbuf. FD_ZC_OUT_OF_PLACE: the source mbuf is attached to the
 * guest's input slot, the destination mbuf to its output slot. FD_ZC_IN_PLACE_OUT: the PMD has no out-of-place
 * linear buffers: the body is copied once into the output slot and processed in place there (no copy out).
 * FD_ZC_AAD_COPY (a flag): the PMD wants the AAD in a buffer of its own (QAT: 16-byte-aligned IOVA). */
#define FD_ZC_NONE 0
#define FD_ZC_OUT_OF_PLACE 1
#define FD_ZC_IN_PLACE_OUT 2
#define FD_ZC_AAD_COPY 4

/* One op for fd_aead_enqueue / fd_comp_enqueue; input is copied, unless zero copy applies: `region` names a region
 * (fd_region_add) holding input and output wholly, and the device does zero copy (fd_zero_copy_mode). Else the op
 * takes the copy path, and `output` is only where fd_aead_take_burst copies to.
 * AEAD: input is aad || body (seal, encrypt 1) or aad || body || tag (open, encrypt 0).
 * Digest: input is data (encrypt 1: output the first `reserved` bytes of the digest) or data || tag (encrypt 0:
 * verify `reserved` bytes, no output). Deflate: encrypt 1 compresses, 0 decompresses; `reserved` is the output
 * capacity. */
typedef struct fd_aead_req
{
    fd_aead_session *session;
    const uint8_t *iv;      /* 12 bytes */
    const uint8_t *input;
    uint32_t input_length;
    uint32_t aad_length;
    uint32_t encrypt;       /* 1 seal, 0 open */
    uint32_t reserved;      /* digest: tag length; deflate: output capacity */
    uint64_t user_tag;      /* returned in fd_aead_done */
    uint8_t *output;        /* zero copy: the output slot the device writes (checked against the region) */
    uint32_t output_capacity;
    uint32_t region;        /* fd_region_add's id, 0: none (copy) */
    uint32_t flags;         /* FD_REQ_* */
    uint32_t pad;
} fd_aead_req;

/* Zero copy of the output too: the device writes the guest's output slot itself (else the output lands in an mbuf
 * and fd_aead_take_burst copies it out). An op the caller gives up on must be forgotten (fd_aead_forget) before the
 * caller lets the guest reuse its slot; on hardware, which has the op's addresses already, the device may still write
 * it until it returns it or its queue pair is reset. */
#define FD_REQ_ZERO_COPY_OUTPUT 1

/* One dequeued op. `op` must be given back through fd_aead_take_burst or fd_op_free. */
typedef struct fd_aead_done
{
    uint64_t user_tag;
    void *op;
    int32_t status;         /* FD_OP_* */
    uint32_t output_length; /* seal: body + 16 (tag); open: body */
    uint32_t zero_copy;     /* 1: the device read the guest's input slot; 2: and wrote its output slot (nothing to copy) */
    uint32_t reserved;
} fd_aead_done;

int fd_eal_init(int argc, const char *const *argv, char *err, size_t err_length);

int fd_cryptodev_open(const char *name, uint16_t queue_pairs, uint32_t depth, uint32_t max_op_bytes,
                      fd_cryptodev **out, char *err, size_t err_length);
void fd_cryptodev_close(fd_cryptodev *dev);
int fd_cryptodev_info(const fd_cryptodev *dev, char *driver_name, size_t name_length, int32_t *socket_id,
                      uint32_t *max_op_bytes);

/* Devices EAL found: writes up to `capacity` descriptions, returns how many there are. */
int fd_device_list(fd_device_desc *out, uint32_t capacity);

int fd_compressdev_open(const char *name, uint16_t queue_pairs, uint32_t depth, uint32_t max_op_bytes,
                        fd_cryptodev **out, char *err, size_t err_length);

/* A session for algo (FD_ALGO_*): the key for AEAD / HMAC, none for SHA-256; deflate takes the level in key_length. */
int fd_session_create(fd_cryptodev *dev, uint32_t algo, const uint8_t *key, uint32_t key_length, fd_aead_session **out,
                      char *err, size_t err_length);
int fd_aead_session_create(fd_cryptodev *dev, const uint8_t *key, uint32_t key_length, fd_aead_session **out,
                           char *err, size_t err_length);
void fd_aead_session_free(fd_aead_session *session);

/* Returns how many of `count` requests were enqueued (0..count), or a negative FD_ERR_* for the first request
 * that could not be prepared (no request after it is enqueued). */
int fd_aead_enqueue(fd_cryptodev *dev, uint16_t queue_pair, const fd_aead_req *reqs, uint16_t count);
/* Returns how many ops were dequeued into done (0..count). */
/* The AC gave up on the op of `user_tag`, which the device still holds: if the device would write its output into
 * the guest's slot (FD_REQ_ZERO_COPY_OUTPUT), the output (and a seal's tag) goes to a private scratch buffer instead,
 * so nothing is written to the guest when it runs. Effective for a PMD that processes ops inside the caller's
 * enqueue or dequeue (the software PMDs); hardware has the op's addresses already. 1 when the op was redirected,
 * FD_OK when there was nothing to do (the device handed it back already, or its output lands in an mbuf). */
int fd_aead_forget(fd_cryptodev *dev, uint16_t queue_pair, uint64_t user_tag);

int fd_aead_dequeue(fd_cryptodev *dev, uint16_t queue_pair, fd_aead_done *done, uint16_t count);
void fd_op_free(void *op);

/* One done op for fd_aead_take_burst: its output copied to `output` (capacity checked: FD_ERR_TOO_LARGE), or, with
 * FD_TAKE_FREE_ONLY, nothing copied (an op given up on). `result` is FD_OK or the FD_ERR_* of that op's copy. */
typedef struct fd_take
{
    void *op;
    uint8_t *output;
    uint32_t capacity;
    uint32_t flags; /* FD_TAKE_* */
    int32_t result;
    uint32_t pad;
} fd_take;

#define FD_TAKE_FREE_ONLY 1

/* Takes a burst of ops dequeued from `queue_pair`, by the thread that drives it: one call, and the ops
 * and mbufs go back through the queue pair's caches. Every op with a non-NULL `op` is freed (and `op` set to NULL);
 * returns FD_OK, or FD_ERR_ARGS (nothing taken or freed) for a bad device, queue pair, or count > 64. */
int fd_aead_take_burst(fd_cryptodev *dev, uint16_t queue_pair, fd_take *items, uint16_t count);

/* The same on a compressdev (ops are rte_comp_ops: give them back through these). */
int fd_comp_enqueue(fd_cryptodev *dev, uint16_t queue_pair, const fd_aead_req *reqs, uint16_t count);
int fd_comp_dequeue(fd_cryptodev *dev, uint16_t queue_pair, fd_aead_done *done, uint16_t count);
int fd_comp_take(void *op, uint8_t *output, uint32_t capacity);
void fd_comp_op_free(void *op);

/* Guest memory as external memory. fd_region_add registers [map, map + map_length) (page-aligned: a channel's whole
 * mapping) with rte_extmem_register, once per mapping (later adds of the same mapping count references), and
 * returns its id. Ops may use [arena, arena + arena_length) only: every zero-copy op's input and output are checked
 * to lie in it. fd_region_release drops a reference; the last one unregisters (no op may still use it). */
int fd_region_add(void *map, size_t map_length, size_t page_size, void *arena, size_t arena_length, uint32_t *id,
                  char *err, size_t err_length);
void fd_region_release(uint32_t id);
/* A PCI cryptodev must have the region DMA-mapped (rte_dev_dma_map, IOVA = VA) before its ops use it; a vdev needs
 * nothing (returns FD_OK). Counted per device and region; fd_region_unuse unmaps at the last. */
int fd_region_use(fd_cryptodev *dev, uint32_t id, char *err, size_t err_length);
void fd_region_unuse(fd_cryptodev *dev, uint32_t id);
/* FD_ZC_* decided at open from the PMD's feature flags and name; `why` says which and why. */
uint32_t fd_zero_copy_mode(const fd_cryptodev *dev, char *why, size_t why_length);

/* Resets one queue pair: frees what it still holds, stops the device, sets the queue pair up again, starts the
 * device. No thread may use the device meanwhile (the caller pauses its drivers); other queue pairs keep their ops. */
int fd_queue_pair_reset(fd_cryptodev *dev, uint16_t queue_pair, char *err, size_t err_length);

#endif
