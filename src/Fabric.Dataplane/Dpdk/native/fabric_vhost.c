/* fabric_vhost: see fabric_vhost.h. Modelled on DPDK's examples/vhost_crypto/main.c (22.11). */
#include "fabric_vhost.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>

#include <rte_bus_vdev.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_vhost.h>
#include <rte_vhost_crypto.h>

#define FV_EXPORT __attribute__((visibility("default")))
#define FV_BURST 32
#define FV_DEPTH 1024   /* queue pair descriptors; also the most requests in flight */
#define FV_OPS 2048     /* crypto op pool: in flight + the poller's pre-allocated burst */
#define FV_SESSIONS 1024
#define FV_MAX_BACKENDS 64
#define FV_DATA_QUEUE 0 /* QEMU's cryptodev-vhost-user has one data queue (queues=1); the control queue stays in QEMU */

struct fv_backend
{
    char path[256];
    char vdev[64];
    int created_vdev;
    uint8_t cid;
    struct rte_mempool *sess_pool;
    struct rte_mempool *op_pool;

    /* vid/active are set by the vhost thread (new_device / destroy_device), read by the poller; `busy` is the
       poller's half of the handshake that lets destroy_device know the poller is out before it frees the device. */
    volatile int vid;
    int active;
    int busy;
    uint32_t inflight;

    /* Requests fetched but not yet taken by the queue pair (it was full): retried first on the next poll. */
    struct rte_crypto_op *pending[FV_BURST];
    uint16_t pending_count;
    /* Ops given to fetch; refilled from op_pool as fetch consumes them, so the poll never waits on the pool. */
    struct rte_crypto_op *spare[FV_BURST];
    uint16_t spare_count;

    fv_stats stats;
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static fv_backend *s_backends[FV_MAX_BACKENDS];

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

/* The backend behind a vhost device, found by its socket path (the callbacks get only a vid). */
static fv_backend *find_backend(int vid)
{
    char path[256];
    if (rte_vhost_get_ifname(vid, path, sizeof(path)) != 0)
    {
        return NULL;
    }
    fv_backend *found = NULL;
    pthread_mutex_lock(&s_lock);
    for (int i = 0; i < FV_MAX_BACKENDS; i++)
    {
        if (s_backends[i] != NULL && strcmp(s_backends[i]->path, path) == 0)
        {
            found = s_backends[i];
            break;
        }
    }
    pthread_mutex_unlock(&s_lock);
    return found;
}

static int on_new_device(int vid)
{
    fv_backend *b = find_backend(vid);
    if (b == NULL)
    {
        return -1;
    }
    int rc = rte_vhost_crypto_create(vid, b->cid, b->sess_pool, rte_socket_id());
    if (rc != 0)
    {
        RTE_LOG(ERR, USER1, "fabric_vhost: rte_vhost_crypto_create failed (%d) for %s\n", rc, b->path);
        return rc;
    }
    rc = rte_vhost_crypto_set_zero_copy(vid, RTE_VHOST_CRYPTO_ZERO_COPY_DISABLE);
    if (rc != 0)
    {
        rte_vhost_crypto_free(vid);
        return rc;
    }
    b->vid = vid;
    __atomic_add_fetch(&b->stats.guests_seen, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&b->stats.guests_ready, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&b->active, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static uint16_t finish(fv_backend *b, struct rte_crypto_op **done, uint16_t n);

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_destroy_device(int vid)
{
    fv_backend *b = find_backend(vid);
    if (b == NULL || b->vid != vid)
    {
        return;
    }
    __atomic_store_n(&b->active, 0, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&b->busy, __ATOMIC_SEQ_CST))
    {
        /* the poller finishes its pass and then sees active == 0 */
    }
    /* The poller is out for good; answer what is still in the device while the guest's memory is mapped. */
    struct rte_crypto_op *done[FV_BURST];
    double deadline = now_seconds() + 2.0;
    while (b->inflight > 0 && now_seconds() < deadline)
    {
        uint16_t n = rte_cryptodev_dequeue_burst(b->cid, 0, done, FV_BURST);
        finish(b, done, n);
    }
    for (uint16_t i = 0; i < b->pending_count; i++)
    {
        rte_pktmbuf_free(b->pending[i]->sym->m_src);
        rte_crypto_op_free(b->pending[i]);
    }
    b->pending_count = 0;
    rte_vhost_crypto_free(vid);
    b->vid = -1;
    __atomic_store_n(&b->stats.guests_ready, 0, __ATOMIC_RELAXED);
}

static const struct rte_vhost_device_ops s_device_ops = {
    .new_device = on_new_device,
    .destroy_device = on_destroy_device,
};

/* Counts, answers the guest (finalize writes results and status into its memory) and kicks its call eventfds. */
static uint16_t finish(fv_backend *b, struct rte_crypto_op **done, uint16_t n)
{
    if (n == 0)
    {
        return 0;
    }
    uint64_t failed = 0;
    for (uint16_t i = 0; i < n; i++)
    {
        failed += done[i]->status != RTE_CRYPTO_OP_STATUS_SUCCESS;
    }
    int callfds[VIRTIO_CRYPTO_MAX_NUM_BURST_VQS];
    uint16_t nb_callfds = 0;
    uint16_t finalized = rte_vhost_crypto_finalize_requests(done, n, callfds, &nb_callfds);
    for (uint16_t i = 0; i < nb_callfds; i++)
    {
        eventfd_write(callfds[i], 1);
    }
    rte_mempool_put_bulk(b->op_pool, (void **)done, n);
    b->inflight -= n;
    __atomic_add_fetch(&b->stats.completed, finalized, __ATOMIC_RELAXED);
    __atomic_add_fetch(&b->stats.failed, failed, __ATOMIC_RELAXED);
    return n;
}

FV_EXPORT int fv_backend_poll(fv_backend *b)
{
    if (b == NULL)
    {
        return FV_ERR_ARGS;
    }
    __atomic_store_n(&b->busy, 1, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&b->active, __ATOMIC_SEQ_CST))
    {
        __atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
        return 0;
    }
    int moved = 0;
    int vid = b->vid;

    /* Retry what the queue pair refused last time before taking anything new from the guest (keeps its order). */
    if (b->pending_count > 0)
    {
        uint16_t taken = rte_cryptodev_enqueue_burst(b->cid, 0, b->pending, b->pending_count);
        b->inflight += taken;
        memmove(b->pending, b->pending + taken, (b->pending_count - taken) * sizeof(b->pending[0]));
        b->pending_count -= taken;
    }
    if (b->pending_count == 0 && b->inflight + FV_BURST <= FV_DEPTH)
    {
        if (b->spare_count < FV_BURST &&
            rte_crypto_op_bulk_alloc(b->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, b->spare + b->spare_count,
                                     FV_BURST - b->spare_count) != 0)
        {
            b->spare_count = FV_BURST;
        }
        uint16_t fetched = rte_vhost_crypto_fetch_requests(vid, FV_DATA_QUEUE, b->spare, b->spare_count);
        if (fetched > 0)
        {
            __atomic_add_fetch(&b->stats.fetched, fetched, __ATOMIC_RELAXED);
            uint16_t taken = rte_cryptodev_enqueue_burst(b->cid, 0, b->spare, fetched);
            b->inflight += taken;
            if (taken < fetched)
            {
                memcpy(b->pending, b->spare + taken, (fetched - taken) * sizeof(b->pending[0]));
                b->pending_count = fetched - taken;
                __atomic_add_fetch(&b->stats.enqueue_stalls, 1, __ATOMIC_RELAXED);
            }
            /* The fetched ops now belong to the device (or to pending); the rest of spare moves to the front. */
            memmove(b->spare, b->spare + fetched, (b->spare_count - fetched) * sizeof(b->spare[0]));
            b->spare_count -= fetched;
            moved += fetched;
        }
    }
    if (b->inflight > 0)
    {
        struct rte_crypto_op *done[FV_BURST];
        uint16_t n = rte_cryptodev_dequeue_burst(b->cid, 0, done, FV_BURST);
        moved += finish(b, done, n);
    }
    __atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
    return moved;
}

FV_EXPORT void fv_backend_stats(const fv_backend *b, fv_stats *stats)
{
    if (b == NULL || stats == NULL)
    {
        return;
    }
    stats->fetched = __atomic_load_n(&b->stats.fetched, __ATOMIC_RELAXED);
    stats->completed = __atomic_load_n(&b->stats.completed, __ATOMIC_RELAXED);
    stats->failed = __atomic_load_n(&b->stats.failed, __ATOMIC_RELAXED);
    stats->enqueue_stalls = __atomic_load_n(&b->stats.enqueue_stalls, __ATOMIC_RELAXED);
    stats->guests_ready = __atomic_load_n(&b->stats.guests_ready, __ATOMIC_RELAXED);
    stats->guests_seen = __atomic_load_n(&b->stats.guests_seen, __ATOMIC_RELAXED);
}

static int open_cryptodev(fv_backend *b, const char *name, char *err, size_t err_length)
{
    int id = rte_cryptodev_get_dev_id(name);
    if (id < 0)
    {
        if (rte_vdev_init(name, NULL) != 0)
        {
            return fail(err, err_length, FV_ERR_NO_DEVICE,
                        "cannot create the cryptodev vdev %s (its name must start with a PMD's name, e.g. "
                        "crypto_aesni_mb_vhost0, and the PMD must be installed)", name);
        }
        b->created_vdev = 1;
        id = rte_cryptodev_get_dev_id(name);
        if (id < 0)
        {
            return fail(err, err_length, FV_ERR_NO_DEVICE, "vdev %s was created but is not a cryptodev", name);
        }
    }
    b->cid = (uint8_t)id;
    struct rte_cryptodev_info info;
    rte_cryptodev_info_get(b->cid, &info);
    /* vhost-crypto serves AES-CBC (and AES-CBC + HMAC-SHA1 chains); a device without AES-CBC is useless here. */
    struct rte_cryptodev_sym_capability_idx cap = {.type = RTE_CRYPTO_SYM_XFORM_CIPHER,
                                                   .algo.cipher = RTE_CRYPTO_CIPHER_AES_CBC};
    if (rte_cryptodev_sym_capability_get(b->cid, &cap) == NULL)
    {
        return fail(err, err_length, FV_ERR_UNSUPPORTED, "cryptodev %s (%s) does not do AES-CBC, which vhost-crypto needs",
                    name, info.driver_name);
    }
    char pool[64];
    snprintf(pool, sizeof(pool), "fv_sess_%u", b->cid);
    b->sess_pool = rte_cryptodev_sym_session_pool_create(pool, FV_SESSIONS,
                                                         rte_cryptodev_sym_get_private_session_size(b->cid), 0, 0,
                                                         rte_socket_id());
    snprintf(pool, sizeof(pool), "fv_ops_%u", b->cid);
    b->op_pool = rte_crypto_op_pool_create(pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, FV_OPS, 0, VHOST_CRYPTO_MAX_IV_LEN,
                                           rte_socket_id());
    if (b->sess_pool == NULL || b->op_pool == NULL)
    {
        return fail(err, err_length, FV_ERR_NO_MEMORY, "cannot create the session / op pools for %s: %s (give EAL more memory, -m)",
                    name, rte_strerror(rte_errno));
    }
    struct rte_cryptodev_config config = {.socket_id = rte_socket_id(), .nb_queue_pairs = 1,
                                          .ff_disable = RTE_CRYPTODEV_FF_SECURITY};
    struct rte_cryptodev_qp_conf qp = {.nb_descriptors = FV_DEPTH, .mp_session = b->sess_pool};
    int rc = rte_cryptodev_configure(b->cid, &config);
    if (rc == 0)
    {
        rc = rte_cryptodev_queue_pair_setup(b->cid, 0, &qp, rte_socket_id());
    }
    if (rc == 0)
    {
        rc = rte_cryptodev_start(b->cid);
    }
    if (rc != 0)
    {
        return fail(err, err_length, FV_ERR_DEVICE, "cannot configure / start cryptodev %s (%s): %d", name,
                    info.driver_name, rc);
    }
    return FV_OK;
}

static void release(fv_backend *b)
{
    if (b->spare_count > 0)
    {
        rte_mempool_put_bulk(b->op_pool, (void **)b->spare, b->spare_count);
    }
    if (b->sess_pool != NULL || b->op_pool != NULL)
    {
        rte_cryptodev_stop(b->cid);
    }
    rte_mempool_free(b->op_pool);
    rte_mempool_free(b->sess_pool);
    if (b->created_vdev)
    {
        rte_vdev_uninit(b->vdev);
    }
    free(b);
}

FV_EXPORT int fv_backend_create(const char *socket_path, const char *cryptodev, fv_backend **out, char *err,
                                size_t err_length)
{
    if (socket_path == NULL || cryptodev == NULL || out == NULL)
    {
        return fail(err, err_length, FV_ERR_ARGS, "socket path, cryptodev name and result are required");
    }
    *out = NULL;
    if (strlen(socket_path) >= sizeof(((fv_backend *)0)->path) || strlen(socket_path) >= 108)
    {
        return fail(err, err_length, FV_ERR_ARGS, "socket path is longer than a Unix socket path may be (107 bytes)");
    }
    if (strlen(cryptodev) >= sizeof(((fv_backend *)0)->vdev) || cryptodev[0] == 0)
    {
        return fail(err, err_length, FV_ERR_ARGS, "cryptodev name must be 1 to 63 bytes");
    }
    fv_backend *b = calloc(1, sizeof(*b));
    if (b == NULL)
    {
        return fail(err, err_length, FV_ERR_NO_MEMORY, "out of memory");
    }
    strcpy(b->path, socket_path);
    strcpy(b->vdev, cryptodev);
    b->vid = -1;
    int rc = open_cryptodev(b, cryptodev, err, err_length);
    if (rc != FV_OK)
    {
        release(b);
        return rc;
    }
    pthread_mutex_lock(&s_lock);
    int slot = -1;
    for (int i = 0; i < FV_MAX_BACKENDS && slot < 0; i++)
    {
        if (s_backends[i] == NULL)
        {
            slot = i;
            s_backends[i] = b;
        }
    }
    pthread_mutex_unlock(&s_lock);
    if (slot < 0)
    {
        release(b);
        return fail(err, err_length, FV_ERR_ARGS, "too many vhost backends in this process (%d)", FV_MAX_BACKENDS);
    }
    /* flags 0: server mode (QEMU is the client and connects), no reconnect, no IOMMU. */
    if (rte_vhost_driver_register(socket_path, 0) != 0)
    {
        rc = fail(err, err_length, FV_ERR_VHOST, "cannot listen on vhost-user socket %s (it may exist already or its folder is missing)",
                  socket_path);
    }
    else if (rte_vhost_driver_callback_register(socket_path, &s_device_ops) != 0 ||
             rte_vhost_crypto_driver_start(socket_path) != 0)
    {
        rte_vhost_driver_unregister(socket_path);
        rc = fail(err, err_length, FV_ERR_VHOST, "cannot start the vhost-user crypto driver on %s", socket_path);
    }
    if (rc != FV_OK)
    {
        pthread_mutex_lock(&s_lock);
        s_backends[slot] = NULL;
        pthread_mutex_unlock(&s_lock);
        release(b);
        return rc;
    }
    *out = b;
    return FV_OK;
}

FV_EXPORT void fv_backend_destroy(fv_backend *b)
{
    if (b == NULL)
    {
        return;
    }
    /* Unregister tears a connected guest's device down through on_destroy_device (which drains in-flight ops).
       It returns -EBUSY while the vhost thread is using the connection: retry briefly. */
    for (int i = 0; i < 1000 && rte_vhost_driver_unregister(b->path) == -EBUSY; i++)
    {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    remove(b->path);
    pthread_mutex_lock(&s_lock);
    for (int i = 0; i < FV_MAX_BACKENDS; i++)
    {
        if (s_backends[i] == b)
        {
            s_backends[i] = NULL;
        }
    }
    pthread_mutex_unlock(&s_lock);
    release(b);
}
