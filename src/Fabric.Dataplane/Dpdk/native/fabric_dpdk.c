/* See fabric_dpdk.h: a thin, status-returning layer over EAL and cryptodev for Fabric's g-drivers. */
#define _GNU_SOURCE
#include "fabric_dpdk.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define FD_EXPORT __attribute__((visibility("default")))
#define FD_IV_LENGTH 12
#define FD_TAG_LENGTH 16
#define FD_KEY_LENGTH 32
#define FD_MAX_BURST 64
/* DPDK sessions carry the AAD length; Fabric's ops choose it per op. One Fabric session keeps one DPDK session
 * per AAD length it has seen; guests use one or two, and none is freed while ops may be in flight. */
#define FD_MAX_AAD_LENGTHS 16
#define FD_MAX_DEVICES RTE_CRYPTO_MAX_DEVS
#define FD_SESSIONS_PER_DEVICE 2048

/* The op's private area, right after the sym op: IV (where the session's iv.offset points), the tag, our state. */
#define FD_IV_OFFSET (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define FD_TAG_OFFSET (FD_IV_OFFSET + 16)
#define FD_META_OFFSET (FD_TAG_OFFSET + FD_TAG_LENGTH)

struct fd_op_meta
{
    uint64_t user_tag;
    uint32_t body_length;
    uint32_t encrypt;
};

#define FD_OP_PRIVATE_SIZE (16 + FD_TAG_LENGTH + sizeof(struct fd_op_meta))

struct fd_cryptodev
{
    uint8_t dev_id;
    uint16_t queue_pairs;
    int socket_id;
    uint32_t max_op_bytes;
    struct rte_mempool *op_pool;
    struct rte_mempool *mbuf_pool;
    struct rte_mempool *session_pool;
    char name[RTE_CRYPTODEV_NAME_MAX_LEN];
};

struct fd_aead_slot
{
    void *session;
    uint32_t aad_length;
};

struct fd_aead_session
{
    fd_cryptodev *dev;
    uint8_t key[FD_KEY_LENGTH];
    uint32_t count;
    struct fd_aead_slot slots[FD_MAX_AAD_LENGTHS];
};

static int s_eal_state; /* 0 not tried, 1 running, -1 failed (EAL cannot be retried in the same process) */
static char s_eal_failure[256];
static uint8_t s_open[FD_MAX_DEVICES];

static int fail(char *err, size_t err_length, int code, const char *format, ...)
{
    if (err != NULL && err_length > 0)
    {
        va_list args;
        va_start(args, format);
        vsnprintf(err, err_length, format, args);
        va_end(args);
    }
    return code;
}

FD_EXPORT int fd_eal_init(int argc, const char *const *argv, char *err, size_t err_length)
{
    if (s_eal_state == 1)
    {
        return fail(err, err_length, FD_ERR_EAL_ONCE,
                    "EAL is already running in this process (rte_eal_init runs once per process): reuse it");
    }
    if (s_eal_state == -1)
    {
        return fail(err, err_length, FD_ERR_EAL_ONCE,
                    "EAL failed to start earlier in this process and cannot be retried (%s): restart the process",
                    s_eal_failure);
    }
    if (argc < 1 || argv == NULL)
    {
        return fail(err, err_length, FD_ERR_ARGS, "EAL arguments are empty: argv[0] must be a program name");
    }
    /* EAL keeps pointers into argv and getopt permutes it: give it a private, writable copy for the process. */
    char **copy = calloc((size_t)argc + 1, sizeof(char *));
    if (copy == NULL)
    {
        return fail(err, err_length, FD_ERR_NO_MEMORY, "out of memory copying EAL arguments");
    }
    for (int i = 0; i < argc; i++)
    {
        copy[i] = strdup(argv[i] != NULL ? argv[i] : "");
        if (copy[i] == NULL)
        {
            return fail(err, err_length, FD_ERR_NO_MEMORY, "out of memory copying EAL arguments");
        }
    }
    /* rte_eal_init pins the calling thread to the main lcore's CPUs; the caller is a .NET thread that must keep
     * the affinity the runtime gave it, so it is restored afterwards. */
    cpu_set_t before;
    int have_affinity = sched_getaffinity(0, sizeof(before), &before) == 0;
    int rc = rte_eal_init(argc, copy);
    int saved_errno = rte_errno;
    if (have_affinity)
    {
        sched_setaffinity(0, sizeof(before), &before);
    }
    if (rc < 0)
    {
        s_eal_state = -1;
        snprintf(s_eal_failure, sizeof(s_eal_failure), "rte_eal_init: %s", rte_strerror(saved_errno));
        return fail(err, err_length, FD_ERR_EAL,
                    "%s; check the EAL arguments, memory (-m with --no-huge, or free hugepages) and the file prefix",
                    s_eal_failure);
    }
    s_eal_state = 1;
    return FD_OK;
}

static void release(fd_cryptodev *dev)
{
    rte_mempool_free(dev->op_pool);
    rte_mempool_free(dev->mbuf_pool);
    rte_mempool_free(dev->session_pool);
    free(dev);
}

FD_EXPORT int fd_cryptodev_open(const char *name, uint16_t queue_pairs, uint32_t depth, uint32_t max_op_bytes,
                                fd_cryptodev **out, char *err, size_t err_length)
{
    if (out == NULL || name == NULL)
    {
        return fail(err, err_length, FD_ERR_ARGS, "name and out must not be null");
    }
    *out = NULL;
    if (s_eal_state != 1)
    {
        return fail(err, err_length, FD_ERR_EAL, "EAL is not running: initialise it before opening cryptodev %s", name);
    }
    /* One mbuf segment per op in this first slice: mbuf lengths are 16-bit. */
    uint32_t max_single = UINT16_MAX - RTE_PKTMBUF_HEADROOM;
    if (queue_pairs == 0 || depth == 0 || max_op_bytes == 0 || max_op_bytes > max_single)
    {
        return fail(err, err_length, FD_ERR_ARGS,
                    "queue pairs (%u), depth (%u) must be > 0 and max op bytes (%u) in [1, %u]",
                    queue_pairs, depth, max_op_bytes, max_single);
    }
    int id = rte_cryptodev_get_dev_id(name);
    if (id < 0)
    {
        return fail(err, err_length, FD_ERR_NO_DEVICE,
                    "no cryptodev named %s (%u present): add it to the EAL arguments, e.g. --vdev %s, or allow its PCI address",
                    name, rte_cryptodev_count(), name);
    }
    if (s_open[id])
    {
        return fail(err, err_length, FD_ERR_DEVICE, "cryptodev %s is already open in this process: close it first", name);
    }
    struct rte_cryptodev_info info;
    rte_cryptodev_info_get((uint8_t)id, &info);
    if (queue_pairs > info.max_nb_queue_pairs)
    {
        return fail(err, err_length, FD_ERR_DEVICE, "cryptodev %s (%s) has %u queue pairs, %u asked",
                    name, info.driver_name, info.max_nb_queue_pairs, queue_pairs);
    }
    int socket = rte_cryptodev_socket_id((uint8_t)id);
    if (socket < 0)
    {
        socket = SOCKET_ID_ANY;
    }
    fd_cryptodev *dev = calloc(1, sizeof(*dev));
    if (dev == NULL)
    {
        return fail(err, err_length, FD_ERR_NO_MEMORY, "out of memory");
    }
    dev->dev_id = (uint8_t)id;
    dev->queue_pairs = queue_pairs;
    dev->socket_id = socket;
    dev->max_op_bytes = max_op_bytes;
    snprintf(dev->name, sizeof(dev->name), "%s", name);

    uint32_t ops = (uint32_t)queue_pairs * depth * 2;
    char pool_name[RTE_MEMPOOL_NAMESIZE];
    snprintf(pool_name, sizeof(pool_name), "fd_op_%u", id);
    dev->op_pool = rte_crypto_op_pool_create(pool_name, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops, 0,
                                             FD_OP_PRIVATE_SIZE, socket);
    snprintf(pool_name, sizeof(pool_name), "fd_mbuf_%u", id);
    dev->mbuf_pool = rte_pktmbuf_pool_create(pool_name, ops, 0, 0,
                                             (uint16_t)(max_op_bytes + RTE_PKTMBUF_HEADROOM), socket);
    snprintf(pool_name, sizeof(pool_name), "fd_sess_%u", id);
    dev->session_pool = rte_cryptodev_sym_session_pool_create(
        pool_name, FD_SESSIONS_PER_DEVICE, rte_cryptodev_sym_get_private_session_size((uint8_t)id), 0, 0, socket);
    if (dev->op_pool == NULL || dev->mbuf_pool == NULL || dev->session_pool == NULL)
    {
        int e = rte_errno;
        release(dev);
        return fail(err, err_length, FD_ERR_NO_MEMORY,
                    "cannot create the mempools of cryptodev %s (%u ops of %u bytes): %s; give EAL more memory (-m)",
                    name, ops, max_op_bytes, rte_strerror(e));
    }
    struct rte_cryptodev_config config = {.socket_id = socket, .nb_queue_pairs = queue_pairs};
    int rc = rte_cryptodev_configure(dev->dev_id, &config);
    if (rc < 0)
    {
        release(dev);
        return fail(err, err_length, FD_ERR_DEVICE, "rte_cryptodev_configure(%s): %s", name, rte_strerror(-rc));
    }
    struct rte_cryptodev_qp_conf qp_config = {.nb_descriptors = depth, .mp_session = dev->session_pool};
    for (uint16_t qp = 0; qp < queue_pairs; qp++)
    {
        rc = rte_cryptodev_queue_pair_setup(dev->dev_id, qp, &qp_config, socket);
        if (rc < 0)
        {
            release(dev);
            return fail(err, err_length, FD_ERR_DEVICE, "rte_cryptodev_queue_pair_setup(%s, %u, %u descriptors): %s",
                        name, qp, depth, rte_strerror(-rc));
        }
    }
    rc = rte_cryptodev_start(dev->dev_id);
    if (rc < 0)
    {
        release(dev);
        return fail(err, err_length, FD_ERR_DEVICE, "rte_cryptodev_start(%s): %s", name, rte_strerror(-rc));
    }
    s_open[id] = 1;
    *out = dev;
    return FD_OK;
}

FD_EXPORT void fd_cryptodev_close(fd_cryptodev *dev)
{
    if (dev == NULL)
    {
        return;
    }
    /* Ops still inside the device go with its queue pairs; stop drains nothing, so stop before the pools go. */
    rte_cryptodev_stop(dev->dev_id);
    s_open[dev->dev_id] = 0;
    release(dev);
}

FD_EXPORT int fd_cryptodev_info(const fd_cryptodev *dev, char *driver_name, size_t name_length, int32_t *socket_id,
                                uint32_t *max_op_bytes)
{
    if (dev == NULL)
    {
        return FD_ERR_ARGS;
    }
    struct rte_cryptodev_info info;
    rte_cryptodev_info_get(dev->dev_id, &info);
    if (driver_name != NULL && name_length > 0)
    {
        snprintf(driver_name, name_length, "%s", info.driver_name != NULL ? info.driver_name : "");
    }
    if (socket_id != NULL)
    {
        *socket_id = dev->socket_id;
    }
    if (max_op_bytes != NULL)
    {
        *max_op_bytes = dev->max_op_bytes;
    }
    return FD_OK;
}

static int check_aead(uint8_t dev_id, uint16_t aad_length)
{
    struct rte_cryptodev_sym_capability_idx index = {
        .type = RTE_CRYPTO_SYM_XFORM_AEAD,
        .algo.aead = RTE_CRYPTO_AEAD_AES_GCM,
    };
    const struct rte_cryptodev_symmetric_capability *cap = rte_cryptodev_sym_capability_get(dev_id, &index);
    if (cap == NULL)
    {
        return FD_ERR_UNSUPPORTED;
    }
    return rte_cryptodev_sym_capability_check_aead(cap, FD_KEY_LENGTH, FD_TAG_LENGTH, aad_length, FD_IV_LENGTH) == 0
               ? FD_OK
               : FD_ERR_UNSUPPORTED;
}

FD_EXPORT int fd_aead_session_create(fd_cryptodev *dev, const uint8_t *key, uint32_t key_length,
                                     fd_aead_session **out, char *err, size_t err_length)
{
    if (dev == NULL || key == NULL || out == NULL)
    {
        return fail(err, err_length, FD_ERR_ARGS, "device, key and out must not be null");
    }
    *out = NULL;
    if (key_length != FD_KEY_LENGTH)
    {
        return fail(err, err_length, FD_ERR_ARGS, "AES-256-GCM needs a %d-byte key, got %u", FD_KEY_LENGTH, key_length);
    }
    if (check_aead(dev->dev_id, 0) != FD_OK)
    {
        return fail(err, err_length, FD_ERR_UNSUPPORTED, "cryptodev %s does not do AES-256-GCM with a 12-byte IV and 16-byte tag",
                    dev->name);
    }
    fd_aead_session *s = calloc(1, sizeof(*s));
    if (s == NULL)
    {
        return fail(err, err_length, FD_ERR_NO_MEMORY, "out of memory");
    }
    s->dev = dev;
    memcpy(s->key, key, FD_KEY_LENGTH);
    *out = s;
    return FD_OK;
}

FD_EXPORT void fd_aead_session_free(fd_aead_session *s)
{
    if (s == NULL)
    {
        return;
    }
    for (uint32_t i = 0; i < s->count; i++)
    {
        rte_cryptodev_sym_session_free(s->dev->dev_id, s->slots[i].session);
    }
    /* The key must not outlive the session in freed heap memory. */
    explicit_bzero(s->key, sizeof(s->key));
    free(s);
}

/* The DPDK session for this AAD length (both directions share it: the op says which). Created on first use. */
static void *session_for(fd_aead_session *s, uint32_t aad_length, uint32_t encrypt)
{
    /* Encrypt and decrypt are distinct xforms, so the slot key is (aad length, direction). */
    uint32_t key = (aad_length << 1) | (encrypt & 1);
    for (uint32_t i = 0; i < s->count; i++)
    {
        if (s->slots[i].aad_length == key)
        {
            return s->slots[i].session;
        }
    }
    if (s->count == FD_MAX_AAD_LENGTHS || aad_length > UINT16_MAX || check_aead(s->dev->dev_id, (uint16_t)aad_length) != FD_OK)
    {
        return NULL;
    }
    struct rte_crypto_sym_xform xform = {
        .type = RTE_CRYPTO_SYM_XFORM_AEAD,
        .aead = {
            .op = encrypt ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT,
            .algo = RTE_CRYPTO_AEAD_AES_GCM,
            .key = {.data = s->key, .length = FD_KEY_LENGTH},
            .iv = {.offset = FD_IV_OFFSET, .length = FD_IV_LENGTH},
            .digest_length = FD_TAG_LENGTH,
            .aad_length = (uint16_t)aad_length,
        },
    };
    void *session = rte_cryptodev_sym_session_create(s->dev->dev_id, &xform, s->dev->session_pool);
    if (session == NULL)
    {
        return NULL;
    }
    s->slots[s->count].session = session;
    s->slots[s->count].aad_length = key;
    s->count++;
    return session;
}

static void free_op(struct rte_crypto_op *op)
{
    rte_pktmbuf_free(op->sym->m_src);
    op->sym->m_src = NULL;
    rte_crypto_op_free(op);
}

static int prepare(fd_cryptodev *dev, const fd_aead_req *r, struct rte_crypto_op **out)
{
    if (r->session == NULL || r->iv == NULL || (r->input == NULL && r->input_length > 0) || r->aad_length > r->input_length)
    {
        return FD_ERR_ARGS;
    }
    uint32_t body = r->input_length - r->aad_length;
    if (!r->encrypt)
    {
        if (body < FD_TAG_LENGTH)
        {
            return FD_ERR_ARGS;
        }
        body -= FD_TAG_LENGTH;
    }
    uint32_t in_mbuf = r->aad_length + body;
    if (in_mbuf > dev->max_op_bytes)
    {
        return FD_ERR_TOO_LARGE;
    }
    void *session = session_for(r->session, r->aad_length, r->encrypt);
    if (session == NULL)
    {
        return r->session->count == FD_MAX_AAD_LENGTHS ? FD_ERR_SESSION : FD_ERR_UNSUPPORTED;
    }
    struct rte_crypto_op *op = rte_crypto_op_alloc(dev->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
    if (op == NULL)
    {
        return FD_ERR_NO_MEMORY;
    }
    struct rte_mbuf *m = rte_pktmbuf_alloc(dev->mbuf_pool);
    if (m == NULL)
    {
        rte_crypto_op_free(op);
        return FD_ERR_NO_MEMORY;
    }
    /* Copy in: the AAD and the body side by side, so one mbuf holds everything the PMD reads. */
    uint8_t *data = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)in_mbuf);
    if (in_mbuf > 0)
    {
        rte_memcpy(data, r->input, in_mbuf);
    }
    struct rte_crypto_sym_op *sym = op->sym;
    sym->m_src = m;
    sym->m_dst = NULL;
    sym->aead.data.offset = r->aad_length;
    sym->aead.data.length = body;
    sym->aead.aad.data = data;
    sym->aead.aad.phys_addr = rte_pktmbuf_iova(m);
    sym->aead.digest.data = rte_crypto_op_ctod_offset(op, uint8_t *, FD_TAG_OFFSET);
    sym->aead.digest.phys_addr = rte_crypto_op_ctophys_offset(op, FD_TAG_OFFSET);
    memcpy(rte_crypto_op_ctod_offset(op, uint8_t *, FD_IV_OFFSET), r->iv, FD_IV_LENGTH);
    if (!r->encrypt)
    {
        memcpy(sym->aead.digest.data, r->input + in_mbuf, FD_TAG_LENGTH);
    }
    struct fd_op_meta *meta = rte_crypto_op_ctod_offset(op, struct fd_op_meta *, FD_META_OFFSET);
    meta->user_tag = r->user_tag;
    meta->body_length = body;
    meta->encrypt = r->encrypt;
    rte_crypto_op_attach_sym_session(op, session);
    *out = op;
    return FD_OK;
}

FD_EXPORT int fd_aead_enqueue(fd_cryptodev *dev, uint16_t queue_pair, const fd_aead_req *reqs, uint16_t count)
{
    if (dev == NULL || reqs == NULL || queue_pair >= dev->queue_pairs)
    {
        return FD_ERR_ARGS;
    }
    struct rte_crypto_op *ops[FD_MAX_BURST];
    if (count > FD_MAX_BURST)
    {
        count = FD_MAX_BURST;
    }
    uint16_t prepared = 0;
    int first_error = FD_OK;
    for (; prepared < count; prepared++)
    {
        int rc = prepare(dev, &reqs[prepared], &ops[prepared]);
        if (rc != FD_OK)
        {
            first_error = rc;
            break;
        }
    }
    uint16_t taken = prepared > 0 ? rte_cryptodev_enqueue_burst(dev->dev_id, queue_pair, ops, prepared) : 0;
    for (uint16_t i = taken; i < prepared; i++)
    {
        free_op(ops[i]);
    }
    if (taken == 0 && first_error != FD_OK)
    {
        return first_error;
    }
    if (taken == 0 && prepared > 0)
    {
        return FD_ERR_BUSY;
    }
    return taken;
}

FD_EXPORT int fd_aead_dequeue(fd_cryptodev *dev, uint16_t queue_pair, fd_aead_done *done, uint16_t count)
{
    if (dev == NULL || done == NULL || queue_pair >= dev->queue_pairs)
    {
        return FD_ERR_ARGS;
    }
    struct rte_crypto_op *ops[FD_MAX_BURST];
    if (count > FD_MAX_BURST)
    {
        count = FD_MAX_BURST;
    }
    uint16_t n = rte_cryptodev_dequeue_burst(dev->dev_id, queue_pair, ops, count);
    for (uint16_t i = 0; i < n; i++)
    {
        struct rte_crypto_op *op = ops[i];
        struct fd_op_meta *meta = rte_crypto_op_ctod_offset(op, struct fd_op_meta *, FD_META_OFFSET);
        done[i].user_tag = meta->user_tag;
        done[i].op = op;
        done[i].status = op->status == RTE_CRYPTO_OP_STATUS_SUCCESS       ? FD_OP_OK
                         : op->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED ? FD_OP_AUTH_FAILED
                                                                          : FD_OP_ERROR;
        done[i].output_length = meta->body_length + (meta->encrypt ? FD_TAG_LENGTH : 0);
    }
    return n;
}

FD_EXPORT int fd_aead_take(void *handle, uint8_t *output, uint32_t capacity)
{
    struct rte_crypto_op *op = handle;
    if (op == NULL)
    {
        return FD_ERR_ARGS;
    }
    struct fd_op_meta *meta = rte_crypto_op_ctod_offset(op, struct fd_op_meta *, FD_META_OFFSET);
    uint32_t length = meta->body_length + (meta->encrypt ? FD_TAG_LENGTH : 0);
    if (output == NULL && length > 0)
    {
        free_op(op);
        return FD_ERR_ARGS;
    }
    if (length > capacity)
    {
        free_op(op);
        return FD_ERR_TOO_LARGE;
    }
    struct rte_mbuf *m = op->sym->m_src;
    if (meta->body_length > 0)
    {
        rte_memcpy(output, rte_pktmbuf_mtod_offset(m, uint8_t *, op->sym->aead.data.offset), meta->body_length);
    }
    if (meta->encrypt)
    {
        memcpy(output + meta->body_length, op->sym->aead.digest.data, FD_TAG_LENGTH);
    }
    free_op(op);
    return FD_OK;
}

FD_EXPORT void fd_op_free(void *handle)
{
    if (handle != NULL)
    {
        free_op(handle);
    }
}
