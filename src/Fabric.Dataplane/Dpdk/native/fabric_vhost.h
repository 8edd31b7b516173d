/*
 * fabric_vhost: a virtio-crypto device served to a QEMU guest over vhost-user: DPDK's vhost library
 * (rte_vhost_*: the vhost-user protocol and guest memory) with Fabric's own virtio-crypto request handling (why not
 * rte_vhost_crypto: fabric_vhost.c); an AC worker runs the requests on its g-driver. One backend = one vhost-user
 * socket (server side: QEMU connects to it). Setup and teardown may fail with a sentence in the caller's buffer;
 * fetch / complete never block, never allocate and take no lock. EAL must be running (fd_eal_init).
 */
#ifndef FABRIC_VHOST_H
#define FABRIC_VHOST_H

#include <stddef.h>
#include <stdint.h>

/* Status codes: the same numbering as fabric_dpdk.h's FD_* (0 ok, negative errors). */
#define FV_OK 0
#define FV_ERR_ARGS -1
#define FV_ERR_EAL -2
#define FV_ERR_NO_DEVICE -4
#define FV_ERR_DEVICE -5
#define FV_ERR_NO_MEMORY -6
#define FV_ERR_UNSUPPORTED -7
#define FV_ERR_VHOST -11 /* rte_vhost_driver_* refused (socket path in use, too long, ...) */

typedef struct fv_backend fv_backend;

/* Counters, read with fv_backend_stats. Written by the poller (requests) and the vhost thread (sessions, connections). */
typedef struct fv_stats
{
    uint64_t fetched;       /* requests taken from the guest's data queue */
    uint64_t completed;     /* requests answered to the guest (any status) */
    uint64_t failed;        /* of those, answered with an error status */
    uint64_t sessions;      /* crypto sessions the guest created */
    uint64_t sessions_refused; /* session requests refused (not AES-CBC, bad key length, table full) */
    uint32_t guests_ready;  /* 1 while a guest's device is live (new_device .. destroy_device) */
    uint32_t guests_seen;   /* devices that became live since the backend started */
} fv_stats;

/*
 * The backend only parses and validates (docs/vhost.md); an AC worker runs the requests on its g-driver.
 * The arena holds 2 * depth slots of slot_size bytes (>= 32800): request `token` reads slot 2*token and is written in
 * slot 2*token + 1. Sessions are accepted only for the queue's function: AES-CBC with a key_length-byte key
 * (16 or 32; 0: any AES key size, 16/24/32, cipher sessions only), cipher sessions when mac is 0, else chains with
 * that VIRTIO_CRYPTO_MAC_* (2 HMAC-SHA1, 4 HMAC-SHA256).
 * fetch / complete / session_key / reaped are the poller's (one thread at a time), never block and never allocate.
 */
typedef struct fv_op
{
    uint32_t token;        /* echoed in fv_done */
    uint32_t session;      /* the guest's session id (< 1024) */
    uint32_t generation;   /* of that session slot: fv_backend_session_key takes it */
    uint8_t encrypt;       /* 1 Forward, 0 Inverse */
    uint8_t chain;         /* AES-CBC + HMAC (encrypt-then-MAC) */
    uint16_t reserved;
    uint32_t aad;          /* chain: the unciphered prefix of the input the MAC covers */
    uint32_t in_length;    /* input bytes at the start of slot 2*token */
    uint32_t out_offset;   /* where the output goes in slot 2*token + 1 */
    uint32_t out_capacity; /* and exactly how much of it an Ok answer writes */
    uint8_t iv[16];
} fv_op;

typedef struct fv_done
{
    uint32_t token;
    uint32_t status;  /* a VIRTIO_CRYPTO_* status: 0 ok, 1 err, 2 badmsg, 3 notsupp, 4 invsess */
    uint32_t written; /* bytes the g-driver wrote (checked against out_capacity) */
    uint32_t reserved;
} fv_done;

int fv_backend_create_fabric(const char *socket_path, uint32_t key_length, uint32_t mac, void *arena,
                             uint32_t slot_size, uint32_t depth, fv_backend **out, char *err, size_t err_length);

int fv_backend_fetch(fv_backend *backend, fv_op *ops, int max);

int fv_backend_complete(fv_backend *backend, const fv_done *done, int n);

int fv_backend_session_key(fv_backend *backend, uint32_t id, uint32_t generation, uint8_t *key, int capacity);

int fv_backend_reaped(fv_backend *backend, uint64_t *out, int max);

void fv_backend_stats(const fv_backend *backend, fv_stats *stats);

/* Unregisters the socket (a connected guest's device is torn down first), wipes the session keys and frees the
 * backend. No fetch / complete / session_key / reaped may run concurrently or afterwards. */
void fv_backend_destroy(fv_backend *backend);

#endif
