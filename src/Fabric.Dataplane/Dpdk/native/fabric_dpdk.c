/* See fabric_dpdk.h: a thin, status-returning layer over EAL and cryptodev for Fabric's g-drivers. */
#define _GNU_SOURCE
#include "fabric_dpdk.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_common.h>
#include <rte_comp.h>
#include <rte_compressdev.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#define FD_EXPORT __attribute__((visibility("default")))
#define FD_IV_LENGTH 12
#define FD_TAG_LENGTH 16
#define FD_KEY_LENGTH 32
/* HMAC keys longer than SHA-256's block are hashed by the caller first (RFC 2104), so 64 bytes suffice. */
#define FD_MAX_KEY_LENGTH 64
#define FD_DIGEST_LENGTH 32
#define FD_MAX_BURST 64
/* DPDK sessions carry the AAD length; Fabric's ops choose it per op. One Fabric session keeps one DPDK session
 * per AAD length it has seen; guests use one or two, and none is freed while ops may be in flight. */
#define FD_MAX_AAD_LENGTHS 16
#define FD_MAX_DEVICES RTE_CRYPTO_MAX_DEVS
#define FD_SESSIONS_PER_DEVICE 2048
/* An AEAD op larger than one mbuf (lengths are 16-bit) is a chain of up to this many, on PMDs with in-place SGL. */
#define FD_MAX_SEGMENTS 4
/* Objects a queue pair's own cache of the op and mbuf pools keeps (at most half its depth). */
#define FD_QP_CACHE 32

/* Zero copy: guest regions registered as external memory (fd_region_add). A channel is one region. */
#define FD_MAX_REGIONS 256
/* QAT-like PMDs (FD_ZC_AAD_COPY) get the AAD copied into the op; a longer AAD takes the copy path. */
#define FD_AAD_COPY_MAX 256

/* A queue pair's own caches of the device's op and mbuf pools. Pools are shared by every queue pair (and the .NET
 * threads that drive them are not EAL lcores, so the pools' per-lcore caches do not apply): without these, each op
 * costs about six atomic ring operations (op, two mbufs, each taken and given back), most of the driver's time at
 * 64 B. One queue pair is driven by one thread at a time (its g-driver), so its caches need no lock; an op freed by
 * another thread (a reset, fd_op_free) goes straight back to its pool, which is always allowed. */
struct fd_qp_cache
{
    struct rte_mempool_cache *ops;
    struct rte_mempool_cache *mbufs;
    /* The ops the device holds, by user tag (tag & held_mask; the driver never has two inside under one index):
     * what fd_aead_forget finds an op by. Set at enqueue, cleared at dequeue and reset. */
    struct rte_crypto_op **held;
    uint32_t held_mask;
    /* Where a forgotten op's output goes instead of the guest's slot: one mbuf, its whole room as data, shared by
     * every forgotten op of the queue pair (a reference each; the queue pair holds one). */
    struct rte_mbuf *scratch;
};

struct fd_op_meta
{
    uint64_t user_tag;
    uint8_t *output;      /* zero copy: the guest's output slot (wiped when an open fails) */
    uint32_t body_length; /* AEAD: body; deflate: output capacity */
    uint32_t encrypt;     /* seal / digest / compress: 1 */
    uint32_t algo;
    uint32_t tag_length;  /* digest: bytes written or verified */
    uint32_t zero_copy;   /* 1: the source mbuf is the guest's input slot; 2: the destination is its output slot too */
    uint32_t pad;
};

/* The op's private area, right after the sym op: IV (where the session's iv.offset points), the tag or digest
 * the PMD writes, the digest a verify op expects, our state, the shared infos of the two external buffers a
 * zero-copy op attaches (preallocated with the op: nothing is allocated per op), and the AAD copy of FD_ZC_AAD_COPY. */
#define FD_IV_OFFSET (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define FD_TAG_OFFSET (FD_IV_OFFSET + 16)
#define FD_EXPECT_OFFSET (FD_TAG_OFFSET + FD_DIGEST_LENGTH)
#define FD_META_OFFSET (FD_EXPECT_OFFSET + FD_DIGEST_LENGTH)
#define FD_SHINFO_OFFSET RTE_ALIGN_CEIL(FD_META_OFFSET + sizeof(struct fd_op_meta), 16)
#define FD_AAD_OFFSET RTE_ALIGN_CEIL(FD_SHINFO_OFFSET + 2 * sizeof(struct rte_mbuf_ext_shared_info), 16)

#define FD_OP_PRIVATE_SIZE (FD_AAD_OFFSET + FD_AAD_COPY_MAX - FD_IV_OFFSET)

struct fd_cryptodev
{
    uint32_t kind; /* FD_KIND_* */
    uint8_t dev_id;
    uint16_t queue_pairs;
    uint32_t depth; /* descriptors of each queue pair, for a queue pair reset */
    uint32_t max_segments; /* mbufs one AEAD op may chain: FD_MAX_SEGMENTS when the PMD does in-place SGL, else 1 */
    uint32_t zero_copy;    /* FD_ZC_* */
    char zero_copy_why[160];
    struct rte_device *pci; /* a PCI device: regions are DMA-mapped to it (NULL for a vdev) */
    int socket_id;
    uint32_t max_op_bytes;
    struct rte_mempool *op_pool;
    struct rte_mempool *mbuf_pool;
    struct rte_mempool *session_pool;
    struct fd_qp_cache *caches; /* cryptodev: one per queue pair (NULL for a compressdev) */
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
    uint32_t algo;
    uint8_t key[FD_MAX_KEY_LENGTH];
    uint32_t key_length; /* deflate: the level */
    uint32_t count;
    struct fd_aead_slot slots[FD_MAX_AAD_LENGTHS];
};

static int s_eal_state; /* 0 not tried, 1 running, -1 failed (EAL cannot be retried in the same process) */
static char s_eal_failure[256];
static uint8_t s_open[FD_MAX_DEVICES];
static uint8_t s_open_comp[RTE_COMPRESS_MAX_DEVS];

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

/* ---- Guest regions as external memory (zero copy). ---- */

struct fd_region
{
    uint8_t *map;
    size_t map_length;
    uint8_t *arena;
    size_t arena_length;
    uint32_t refs;
    uint16_t dma_refs[FD_MAX_DEVICES]; /* per cryptodev id: rte_dev_dma_map done while > 0 */
};

/* Setup-path state: changed under the lock; the fast path reads an entry whose reference its caller holds. */
static struct fd_region s_regions[FD_MAX_REGIONS];
static pthread_mutex_t s_region_lock = PTHREAD_MUTEX_INITIALIZER;

FD_EXPORT int fd_region_add(void *map, size_t map_length, size_t page_size, void *arena, size_t arena_length,
                            uint32_t *id, char *err, size_t err_length)
{
    if (id == NULL || map == NULL || arena == NULL || page_size == 0 || (page_size & (page_size - 1)) != 0 ||
        ((uintptr_t)map & (page_size - 1)) != 0 || (map_length & (page_size - 1)) != 0 || map_length == 0 ||
        (uint8_t *)arena < (uint8_t *)map || arena_length > map_length ||
        (size_t)((uint8_t *)arena - (uint8_t *)map) > map_length - arena_length)
    {
        return fail(err, err_length, FD_ERR_ARGS,
                    "a region is a page-aligned mapping (page size a power of two) holding its arena");
    }
    *id = 0;
    if (s_eal_state != 1)
    {
        return fail(err, err_length, FD_ERR_EAL, "EAL is not running: no external memory can be registered");
    }
    pthread_mutex_lock(&s_region_lock);
    int free_slot = -1;
    for (int i = 0; i < FD_MAX_REGIONS; i++)
    {
        struct fd_region *r = &s_regions[i];
        if (r->refs > 0 && r->map == map)
        {
            if (r->map_length != map_length || r->arena != arena || r->arena_length != arena_length)
            {
                pthread_mutex_unlock(&s_region_lock);
                return fail(err, err_length, FD_ERR_ARGS, "mapping %p is registered with other bounds", map);
            }
            r->refs++;
            *id = (uint32_t)i + 1;
            pthread_mutex_unlock(&s_region_lock);
            return FD_OK;
        }
        if (r->refs == 0 && free_slot < 0)
        {
            free_slot = i;
        }
    }
    if (free_slot < 0)
    {
        pthread_mutex_unlock(&s_region_lock);
        return fail(err, err_length, FD_ERR_NO_MEMORY, "%d regions are registered already: ops take the copy path",
                    FD_MAX_REGIONS);
    }
    /* No IOVA table: pages get RTE_BAD_IOVA in EAL's tables; mbufs carry IOVA = VA (software PMDs use the VA,
     * a PCI device gets the region DMA-mapped at IOVA = VA by fd_region_use). */
    if (rte_extmem_register(map, map_length, NULL, 0, page_size) != 0)
    {
        int e = rte_errno;
        pthread_mutex_unlock(&s_region_lock);
        return fail(err, err_length, FD_ERR_DEVICE, "rte_extmem_register(%p, %zu, page %zu): %s", map, map_length,
                    page_size, rte_strerror(e));
    }
    struct fd_region *r = &s_regions[free_slot];
    memset(r, 0, sizeof(*r));
    r->map = (uint8_t *)map;
    r->map_length = map_length;
    r->arena = (uint8_t *)arena;
    r->arena_length = arena_length;
    r->refs = 1;
    *id = (uint32_t)free_slot + 1;
    pthread_mutex_unlock(&s_region_lock);
    return FD_OK;
}

FD_EXPORT void fd_region_release(uint32_t id)
{
    if (id == 0 || id > FD_MAX_REGIONS)
    {
        return;
    }
    pthread_mutex_lock(&s_region_lock);
    struct fd_region *r = &s_regions[id - 1];
    if (r->refs > 0 && --r->refs == 0)
    {
        rte_extmem_unregister(r->map, r->map_length);
        memset(r, 0, sizeof(*r));
    }
    pthread_mutex_unlock(&s_region_lock);
}

/* The region an op names, or NULL (then it takes the copy path). */
static const struct fd_region *region_of(uint32_t id)
{
    if (id == 0 || id > FD_MAX_REGIONS)
    {
        return NULL;
    }
    const struct fd_region *r = &s_regions[id - 1];
    return r->refs > 0 ? r : NULL;
}

/* [p, p + length) inside the region's arena: what the device may read or write for a zero-copy op. */
static int in_region(const struct fd_region *r, const uint8_t *p, uint64_t length)
{
    uintptr_t start = (uintptr_t)r->arena;
    uintptr_t at = (uintptr_t)p;
    return p != NULL && at >= start && length <= r->arena_length && at - start <= r->arena_length - length;
}

static void extbuf_free(void *addr, void *opaque)
{
    /* The buffer is the guest's slot: the channel owns it, nothing to free. */
    (void)addr;
    (void)opaque;
}

/* An mbuf whose data is [va, va + length) of guest memory; shinfo lives in the op (preallocated). */
/* rte_pktmbuf_alloc through a queue pair's cache (NULL: the pool itself). */
static inline struct rte_mbuf *mbuf_get(struct rte_mempool *pool, struct rte_mempool_cache *cache)
{
    void *m;
    if (unlikely(rte_mempool_generic_get(pool, &m, 1, cache) < 0))
    {
        return NULL;
    }
    rte_pktmbuf_reset((struct rte_mbuf *)m);
    return (struct rte_mbuf *)m;
}

/* rte_pktmbuf_free through a queue pair's cache: each segment detached (a guest slot's shared info drops to 0,
 * nothing freed) and, when it is ours to give back, put in the cache. */
static inline void mbuf_put(struct rte_mbuf *m, struct rte_mempool *pool, struct rte_mempool_cache *cache)
{
    while (m != NULL)
    {
        struct rte_mbuf *next = m->next;
        struct rte_mbuf *seg = rte_pktmbuf_prefree_seg(m);
        if (seg != NULL)
        {
            rte_mempool_generic_put(seg->pool, (void **)&seg, 1, seg->pool == pool ? cache : NULL);
        }
        m = next;
    }
}

static struct rte_mbuf *attach_guest(struct rte_mempool *pool, struct rte_mempool_cache *cache,
                                     struct rte_mbuf_ext_shared_info *shinfo, uint8_t *va, uint32_t length)
{
    struct rte_mbuf *m = mbuf_get(pool, cache);
    if (m == NULL)
    {
        return NULL;
    }
    shinfo->free_cb = extbuf_free;
    shinfo->fcb_opaque = NULL;
    rte_mbuf_ext_refcnt_set(shinfo, 1);
    rte_pktmbuf_attach_extbuf(m, va, (rte_iova_t)(uintptr_t)va, (uint16_t)length, shinfo);
    m->data_len = (uint16_t)length;
    m->pkt_len = length;
    return m;
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

/* Zero copy per device, from what its PMD says it does (decided once, at open). */
static void decide_crypto_zero_copy(fd_cryptodev *dev, const struct rte_cryptodev_info *info)
{
    const struct rte_bus *bus = info->device != NULL ? rte_dev_bus(info->device) : NULL;
    const char *bus_name = bus != NULL ? rte_bus_name(bus) : NULL;
    dev->pci = bus_name != NULL && strcmp(bus_name, "pci") == 0 ? info->device : NULL;
    const char *driver = info->driver_name != NULL ? info->driver_name : "";
    if ((info->feature_flags & RTE_CRYPTODEV_FF_OOP_LB_IN_LB_OUT) != 0)
    {
        dev->zero_copy = FD_ZC_OUT_OF_PLACE;
        snprintf(dev->zero_copy_why, sizeof(dev->zero_copy_why), "out of place: mbufs attached to the guest's input and output slots");
    }
    else
    {
        /* Without out-of-place linear buffers the PMD writes where it reads: the guest's input slot must not change. */
        dev->zero_copy = FD_ZC_IN_PLACE_OUT;
        snprintf(dev->zero_copy_why, sizeof(dev->zero_copy_why),
                 "in place on the output slot (%s has no out-of-place linear buffers): the body is copied once into it", driver);
    }
    if (strcmp(driver, "crypto_qat") == 0)
    {
        /* QAT reads the AAD through its own IOVA, 16-byte aligned, from a buffer of its own (untested here). */
        dev->zero_copy |= FD_ZC_AAD_COPY;
        size_t used = strlen(dev->zero_copy_why);
        snprintf(dev->zero_copy_why + used, sizeof(dev->zero_copy_why) - used, "; the AAD copied into the op (QAT)");
    }
}

FD_EXPORT uint32_t fd_zero_copy_mode(const fd_cryptodev *dev, char *why, size_t why_length)
{
    if (dev == NULL)
    {
        return FD_ZC_NONE;
    }
    if (why != NULL && why_length > 0)
    {
        snprintf(why, why_length, "%s", dev->zero_copy_why);
    }
    return dev->zero_copy;
}

FD_EXPORT int fd_region_use(fd_cryptodev *dev, uint32_t id, char *err, size_t err_length)
{
    if (dev == NULL || region_of(id) == NULL)
    {
        return fail(err, err_length, FD_ERR_ARGS, "no device, or no region %u", id);
    }
    if (dev->zero_copy == FD_ZC_NONE)
    {
        return fail(err, err_length, FD_ERR_UNSUPPORTED, "%s copies every op: %s", dev->name, dev->zero_copy_why);
    }
    if (dev->pci == NULL)
    {
        return FD_OK; /* a vdev runs on the CPU: the VA is all it needs */
    }
    /* A PCI device reaches guest memory through the IOMMU: map the region at IOVA = VA (untested: no hardware here). */
    pthread_mutex_lock(&s_region_lock);
    struct fd_region *r = &s_regions[id - 1];
    int rc = FD_OK;
    if (r->dma_refs[dev->dev_id]++ == 0 && rte_dev_dma_map(dev->pci, r->map, (uint64_t)(uintptr_t)r->map, r->map_length) != 0)
    {
        int e = rte_errno;
        r->dma_refs[dev->dev_id]--;
        rc = fail(err, err_length, FD_ERR_DEVICE, "rte_dev_dma_map(%s, %zu bytes): %s; ops take the copy path",
                  dev->name, r->map_length, rte_strerror(e));
    }
    pthread_mutex_unlock(&s_region_lock);
    return rc;
}

FD_EXPORT void fd_region_unuse(fd_cryptodev *dev, uint32_t id)
{
    if (dev == NULL || dev->pci == NULL || region_of(id) == NULL)
    {
        return;
    }
    pthread_mutex_lock(&s_region_lock);
    struct fd_region *r = &s_regions[id - 1];
    if (r->dma_refs[dev->dev_id] > 0 && --r->dma_refs[dev->dev_id] == 0)
    {
        rte_dev_dma_unmap(dev->pci, r->map, (uint64_t)(uintptr_t)r->map, r->map_length);
    }
    pthread_mutex_unlock(&s_region_lock);
}

static void release(fd_cryptodev *dev)
{
    if (dev->kind == FD_KIND_COMPRESS)
    {
        rte_compressdev_close(dev->dev_id); /* frees its queue pairs; the device can be configured again */
    }
    if (dev->caches != NULL)
    {
        /* What the caches hold goes back to the pools before they are freed. */
        for (uint16_t qp = 0; qp < dev->queue_pairs; qp++)
        {
            if (dev->caches[qp].ops != NULL)
            {
                if (dev->op_pool != NULL)
                {
                    rte_mempool_cache_flush(dev->caches[qp].ops, dev->op_pool);
                }
                rte_mempool_cache_free(dev->caches[qp].ops);
            }
            if (dev->caches[qp].scratch != NULL)
            {
                rte_pktmbuf_free(dev->caches[qp].scratch);
            }
            free(dev->caches[qp].held);
            if (dev->caches[qp].mbufs != NULL)
            {
                if (dev->mbuf_pool != NULL)
                {
                    rte_mempool_cache_flush(dev->caches[qp].mbufs, dev->mbuf_pool);
                }
                rte_mempool_cache_free(dev->caches[qp].mbufs);
            }
        }
        free(dev->caches);
    }
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
    dev->depth = depth;
    dev->socket_id = socket;
    dev->max_op_bytes = max_op_bytes;
    /* Chains only where the PMD does in-place SGL. crypto_openssl (22.11) says it does, but a 2-segment AES-GCM op
     * never comes back from it (tested): it keeps one segment, and a larger op is refused (Unsupported). */
    dev->max_segments = (info.feature_flags & RTE_CRYPTODEV_FF_IN_PLACE_SGL) != 0 && strcmp(info.driver_name, "crypto_openssl") != 0
                            ? FD_MAX_SEGMENTS
                            : 1;
    snprintf(dev->name, sizeof(dev->name), "%s", name);
    decide_crypto_zero_copy(dev, &info);

    /* Each queue pair's caches may hold up to 1.5 x their size (the flush threshold), at most 0.75 x its depth. The
     * op pool (small objects) gets that much more, so what sits in one queue pair's cache never starves another; the
     * mbuf pool (up to 64 KiB each) keeps 2 x depth per queue pair: one queue pair at its depth (two mbufs per op)
     * still always fits beside the others' caches, and when every queue pair is at its depth at once an enqueue may
     * find none, FD_ERR_NO_MEMORY, taken as busy and retried once ops come back. */
    uint32_t cache_size = depth / 2 < FD_QP_CACHE ? (depth / 2 > 0 ? depth / 2 : 1) : FD_QP_CACHE;
    uint32_t mbufs = (uint32_t)queue_pairs * (depth * 2 + 1); /* + each queue pair's scratch */
    uint32_t ops = (uint32_t)queue_pairs * (depth * 2 + cache_size + cache_size / 2 + 1);
    dev->caches = calloc(queue_pairs, sizeof(*dev->caches));
    if (dev->caches == NULL)
    {
        free(dev);
        return fail(err, err_length, FD_ERR_NO_MEMORY, "out of memory");
    }
    for (uint16_t qp = 0; qp < queue_pairs; qp++)
    {
        dev->caches[qp].ops = rte_mempool_cache_create(cache_size, socket);
        dev->caches[qp].mbufs = rte_mempool_cache_create(cache_size, socket);
        uint32_t held = 2;
        while (held < depth)
        {
            held <<= 1;
        }
        dev->caches[qp].held = calloc(held, sizeof(struct rte_crypto_op *));
        dev->caches[qp].held_mask = held - 1;
        if (dev->caches[qp].ops == NULL || dev->caches[qp].mbufs == NULL || dev->caches[qp].held == NULL)
        {
            int e = rte_errno;
            release(dev);
            return fail(err, err_length, FD_ERR_NO_MEMORY, "cannot create the queue pair caches of cryptodev %s: %s",
                        name, rte_strerror(e));
        }
    }
    char pool_name[RTE_MEMPOOL_NAMESIZE];
    snprintf(pool_name, sizeof(pool_name), "fd_op_%u", id);
    dev->op_pool = rte_crypto_op_pool_create(pool_name, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops, 0,
                                             FD_OP_PRIVATE_SIZE, socket);
    snprintf(pool_name, sizeof(pool_name), "fd_mbuf_%u", id);
    dev->mbuf_pool = rte_pktmbuf_pool_create(pool_name, mbufs, 0, 0,
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
    for (uint16_t qp = 0; qp < queue_pairs; qp++)
    {
        struct rte_mbuf *scratch = rte_pktmbuf_alloc(dev->mbuf_pool);
        if (scratch == NULL)
        {
            release(dev);
            return fail(err, err_length, FD_ERR_NO_MEMORY, "cannot take the scratch mbufs of cryptodev %s", name);
        }
        rte_pktmbuf_append(scratch, rte_pktmbuf_tailroom(scratch));
        dev->caches[qp].scratch = scratch;
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
    if (dev->kind == FD_KIND_COMPRESS)
    {
        rte_compressdev_stop(dev->dev_id);
        s_open_comp[dev->dev_id] = 0;
    }
    else
    {
        rte_cryptodev_stop(dev->dev_id);
        s_open[dev->dev_id] = 0;
    }
    release(dev);
}

FD_EXPORT int fd_cryptodev_info(const fd_cryptodev *dev, char *driver_name, size_t name_length, int32_t *socket_id,
                                uint32_t *max_op_bytes)
{
    if (dev == NULL)
    {
        return FD_ERR_ARGS;
    }
    const char *driver = NULL;
    if (dev->kind == FD_KIND_COMPRESS)
    {
        struct rte_compressdev_info info;
        rte_compressdev_info_get(dev->dev_id, &info);
        driver = info.driver_name;
    }
    else
    {
        struct rte_cryptodev_info info;
        rte_cryptodev_info_get(dev->dev_id, &info);
        driver = info.driver_name;
    }
    if (driver_name != NULL && name_length > 0)
    {
        snprintf(driver_name, name_length, "%s", driver != NULL ? driver : "");
    }
    if (socket_id != NULL)
    {
        *socket_id = dev->socket_id;
    }
    if (max_op_bytes != NULL)
    {
        *max_op_bytes = dev->max_op_bytes * (dev->max_segments > 0 ? dev->max_segments : 1);
    }
    return FD_OK;
}

static enum rte_crypto_aead_algorithm aead_algo(uint32_t algo)
{
    return algo == FD_ALGO_CHACHA20_POLY1305 ? RTE_CRYPTO_AEAD_CHACHA20_POLY1305 : RTE_CRYPTO_AEAD_AES_GCM;
}

static int is_aead(uint32_t algo)
{
    return algo == FD_ALGO_AES_GCM || algo == FD_ALGO_CHACHA20_POLY1305;
}

static int check_aead_key(uint8_t dev_id, uint32_t algo, uint16_t key_length, uint16_t aad_length)
{
    struct rte_cryptodev_sym_capability_idx index = {
        .type = RTE_CRYPTO_SYM_XFORM_AEAD,
        .algo.aead = aead_algo(algo),
    };
    const struct rte_cryptodev_symmetric_capability *cap = rte_cryptodev_sym_capability_get(dev_id, &index);
    if (cap == NULL)
    {
        return FD_ERR_UNSUPPORTED;
    }
    return rte_cryptodev_sym_capability_check_aead(cap, key_length, FD_TAG_LENGTH, aad_length, FD_IV_LENGTH) == 0
               ? FD_OK
               : FD_ERR_UNSUPPORTED;
}


static int check_auth(uint8_t dev_id, uint32_t algo, uint16_t key_length)
{
    struct rte_cryptodev_sym_capability_idx index = {
        .type = RTE_CRYPTO_SYM_XFORM_AUTH,
        .algo.auth = algo == FD_ALGO_SHA256 ? RTE_CRYPTO_AUTH_SHA256 : RTE_CRYPTO_AUTH_SHA256_HMAC,
    };
    const struct rte_cryptodev_symmetric_capability *cap = rte_cryptodev_sym_capability_get(dev_id, &index);
    if (cap == NULL)
    {
        return FD_ERR_UNSUPPORTED;
    }
    return rte_cryptodev_sym_capability_check_auth(cap, key_length, FD_DIGEST_LENGTH, 0) == 0 ? FD_OK
                                                                                               : FD_ERR_UNSUPPORTED;
}

static const char *algo_name(uint32_t algo)
{
    switch (algo)
    {
    case FD_ALGO_AES_GCM: return "AES-GCM";
    case FD_ALGO_CHACHA20_POLY1305: return "ChaCha20-Poly1305";
    case FD_ALGO_SHA256: return "SHA-256";
    case FD_ALGO_HMAC_SHA256: return "HMAC-SHA-256";
    default: return "deflate";
    }
}

static int create_comp_xforms(fd_aead_session *s, char *err, size_t err_length);

FD_EXPORT int fd_session_create(fd_cryptodev *dev, uint32_t algo, const uint8_t *key, uint32_t key_length,
                                fd_aead_session **out, char *err, size_t err_length)
{
    if (dev == NULL || out == NULL || (key == NULL && key_length > 0 && algo != FD_ALGO_DEFLATE) || algo > FD_ALGO_DEFLATE)
    {
        return fail(err, err_length, FD_ERR_ARGS, "device and out must not be null, algo in [0, %d]", FD_ALGO_DEFLATE);
    }
    *out = NULL;
    if ((algo == FD_ALGO_DEFLATE) != (dev->kind == FD_KIND_COMPRESS))
    {
        return fail(err, err_length, FD_ERR_UNSUPPORTED, "%s does not run on %s (a %s)", algo_name(algo), dev->name,
                    dev->kind == FD_KIND_COMPRESS ? "compressdev" : "cryptodev");
    }
    int rc = FD_OK;
    if (is_aead(algo))
    {
        /* AES-GCM takes 16, 24 or 32-byte keys as Fabric's .NET driver does (where the PMD offers them). */
        if (algo == FD_ALGO_AES_GCM ? (key_length != 16 && key_length != 24 && key_length != 32) : key_length != FD_KEY_LENGTH)
        {
            return fail(err, err_length, FD_ERR_ARGS, "%s needs a %s-byte key, got %u", algo_name(algo),
                        algo == FD_ALGO_AES_GCM ? "16, 24 or 32" : "32", key_length);
        }
        rc = check_aead_key(dev->dev_id, algo, (uint16_t)key_length, 0);
    }
    else if (algo == FD_ALGO_SHA256)
    {
        if (key_length != 0)
        {
            return fail(err, err_length, FD_ERR_ARGS, "SHA-256 takes no key, got %u bytes", key_length);
        }
        rc = check_auth(dev->dev_id, algo, 0);
    }
    else if (algo == FD_ALGO_HMAC_SHA256)
    {
        if (key_length == 0 || key_length > FD_MAX_KEY_LENGTH)
        {
            return fail(err, err_length, FD_ERR_ARGS, "HMAC-SHA-256 needs a 1..%d-byte key (hash longer ones first), got %u",
                        FD_MAX_KEY_LENGTH, key_length);
        }
        rc = check_auth(dev->dev_id, algo, (uint16_t)key_length);
    }
    else if (key_length > 9)
    {
        return fail(err, err_length, FD_ERR_ARGS, "deflate level %u is not in [0, 9]", key_length);
    }
    if (rc != FD_OK)
    {
        return fail(err, err_length, FD_ERR_UNSUPPORTED, "%s does not do %s with this key length (its capabilities)",
                    dev->name, algo_name(algo));
    }
    fd_aead_session *s = calloc(1, sizeof(*s));
    if (s == NULL)
    {
        return fail(err, err_length, FD_ERR_NO_MEMORY, "out of memory");
    }
    s->dev = dev;
    s->algo = algo;
    s->key_length = key_length;
    if (algo != FD_ALGO_DEFLATE && key_length > 0)
    {
        memcpy(s->key, key, key_length);
    }
    if (algo == FD_ALGO_DEFLATE && (rc = create_comp_xforms(s, err, err_length)) != FD_OK)
    {
        free(s);
        return rc;
    }
    *out = s;
    return FD_OK;
}

FD_EXPORT int fd_aead_session_create(fd_cryptodev *dev, const uint8_t *key, uint32_t key_length,
                                     fd_aead_session **out, char *err, size_t err_length)
{
    return fd_session_create(dev, FD_ALGO_AES_GCM, key, key_length, out, err, err_length);
}

FD_EXPORT void fd_aead_session_free(fd_aead_session *s)
{
    if (s == NULL)
    {
        return;
    }
    for (uint32_t i = 0; i < s->count; i++)
    {
        if (s->algo == FD_ALGO_DEFLATE)
        {
            rte_compressdev_private_xform_free(s->dev->dev_id, s->slots[i].session);
        }
        else
        {
            rte_cryptodev_sym_session_free(s->dev->dev_id, s->slots[i].session);
        }
    }
    /* The key must not outlive the session in freed heap memory. */
    explicit_bzero(s->key, sizeof(s->key));
    free(s);
}

/* The DPDK session for this AAD length (both directions share it: the op says which). Created on first use. */
static void *session_for(fd_aead_session *s, uint32_t aad_length, uint32_t encrypt)
{
    /* Encrypt and decrypt are distinct xforms, so the slot key is (aad length, direction). */
    /* Digests compute in one direction (a verify op generates and compares): one DPDK session. */
    uint32_t key = is_aead(s->algo) ? (aad_length << 1) | (encrypt & 1) : 0;
    for (uint32_t i = 0; i < s->count; i++)
    {
        if (s->slots[i].aad_length == key)
        {
            return s->slots[i].session;
        }
    }
    if (s->count == FD_MAX_AAD_LENGTHS || aad_length > UINT16_MAX ||
        (is_aead(s->algo) && check_aead_key(s->dev->dev_id, s->algo, (uint16_t)s->key_length, (uint16_t)aad_length) != FD_OK))
    {
        return NULL;
    }
    struct rte_crypto_sym_xform xform;
    memset(&xform, 0, sizeof(xform));
    if (is_aead(s->algo))
    {
        xform.type = RTE_CRYPTO_SYM_XFORM_AEAD;
        xform.aead.op = encrypt ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
        xform.aead.algo = aead_algo(s->algo);
        xform.aead.key.data = s->key;
        xform.aead.key.length = (uint16_t)s->key_length;
        xform.aead.iv.offset = FD_IV_OFFSET;
        xform.aead.iv.length = FD_IV_LENGTH;
        xform.aead.digest_length = FD_TAG_LENGTH;
        xform.aead.aad_length = (uint16_t)aad_length;
    }
    else
    {
        xform.type = RTE_CRYPTO_SYM_XFORM_AUTH;
        xform.auth.op = RTE_CRYPTO_AUTH_OP_GENERATE;
        xform.auth.algo = s->algo == FD_ALGO_SHA256 ? RTE_CRYPTO_AUTH_SHA256 : RTE_CRYPTO_AUTH_SHA256_HMAC;
        xform.auth.key.data = s->key_length > 0 ? s->key : NULL;
        xform.auth.key.length = (uint16_t)s->key_length;
        xform.auth.digest_length = FD_DIGEST_LENGTH;
    }
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
    /* An mbuf attached to a guest slot detaches here (its shared info, in the op, drops to 0; nothing is freed). */
    rte_pktmbuf_free(op->sym->m_src);
    rte_pktmbuf_free(op->sym->m_dst);
    op->sym->m_src = NULL;
    op->sym->m_dst = NULL;
    rte_crypto_op_free(op);
}

/* free_op through a queue pair's caches (the queue pair's own thread only). */
static inline void free_op_cached(const fd_cryptodev *dev, const struct fd_qp_cache *c, struct rte_crypto_op *op)
{
    mbuf_put(op->sym->m_src, dev->mbuf_pool, c->mbufs);
    mbuf_put(op->sym->m_dst, dev->mbuf_pool, c->mbufs);
    op->sym->m_src = NULL;
    op->sym->m_dst = NULL;
    rte_mempool_generic_put(op->mempool, (void **)&op, 1, op->mempool == dev->op_pool ? c->ops : NULL);
}

/* rte_crypto_op_alloc through a queue pair's cache. */
static inline struct rte_crypto_op *op_get(const fd_cryptodev *dev, const struct fd_qp_cache *c)
{
    void *o;
    if (unlikely(rte_mempool_generic_get(dev->op_pool, &o, 1, c->ops) < 0))
    {
        return NULL;
    }
    struct rte_crypto_op *op = o;
    __rte_crypto_op_reset(op, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
    return op;
}

static struct rte_mbuf_ext_shared_info *op_shinfo(struct rte_crypto_op *op, int which)
{
    return rte_crypto_op_ctod_offset(op, struct rte_mbuf_ext_shared_info *, FD_SHINFO_OFFSET) + which;
}

/* The copy path's condition, in one place: zero copy needs a region holding the op's input and output wholly (the
 * AC checked the slots; this checks again against what was registered, so the device never touches memory outside
 * it), a device that does zero copy, and buffers that fit one mbuf (16-bit lengths; longer ops chain copies). */
/* `out_length` 0: the output is not the guest's slot (input zero copy only). */
static const struct fd_region *zero_copy_region(const fd_cryptodev *dev, const fd_aead_req *r, uint32_t out_length)
{
    const struct fd_region *region = region_of(r->region);
    if (region == NULL || (dev->zero_copy & (FD_ZC_OUT_OF_PLACE | FD_ZC_IN_PLACE_OUT)) == 0 ||
        r->input_length > UINT16_MAX || out_length > UINT16_MAX || out_length > r->output_capacity ||
        !in_region(region, r->input, r->input_length) || (out_length > 0 && !in_region(region, r->output, out_length)))
    {
        return NULL;
    }
    return region;
}

static int prepare_digest(fd_cryptodev *dev, const struct fd_qp_cache *c, const fd_aead_req *r, struct rte_crypto_op **out)
{
    uint32_t tag = r->reserved;
    if ((r->input == NULL && r->input_length > 0) || r->aad_length != 0 || tag == 0 || tag > FD_DIGEST_LENGTH ||
        (!r->encrypt && r->input_length < tag))
    {
        return FD_ERR_ARGS;
    }
    uint32_t data_length = r->encrypt ? r->input_length : r->input_length - tag;
    if (data_length > dev->max_op_bytes)
    {
        return FD_ERR_TOO_LARGE;
    }
    void *session = session_for(r->session, 0, 1);
    if (session == NULL)
    {
        return FD_ERR_UNSUPPORTED;
    }
    struct rte_crypto_op *op = op_get(dev, c);
    if (op == NULL)
    {
        return FD_ERR_NO_MEMORY;
    }
    /* Zero copy reads the data in place; the digest still lands in the op and is copied out (up to 32 bytes): a
     * truncated HMAC tag's slot may be shorter than the digest the PMD writes. */
    int zero_copy = zero_copy_region(dev, r, 0) != NULL;
    struct rte_mbuf *m = zero_copy ? attach_guest(dev->mbuf_pool, c->mbufs, op_shinfo(op, 0), (uint8_t *)(uintptr_t)r->input, data_length)
                                   : mbuf_get(dev->mbuf_pool, c->mbufs);
    if (m == NULL)
    {
        free_op_cached(dev, c, op);
        return FD_ERR_NO_MEMORY;
    }
    if (!zero_copy)
    {
        uint8_t *data = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)data_length);
        if (data_length > 0)
        {
            rte_memcpy(data, r->input, data_length);
        }
    }
    struct rte_crypto_sym_op *sym = op->sym;
    sym->m_src = m;
    sym->m_dst = NULL;
    sym->auth.data.offset = 0;
    sym->auth.data.length = data_length;
    sym->auth.digest.data = rte_crypto_op_ctod_offset(op, uint8_t *, FD_TAG_OFFSET);
    sym->auth.digest.phys_addr = rte_crypto_op_ctophys_offset(op, FD_TAG_OFFSET);
    if (!r->encrypt)
    {
        memcpy(rte_crypto_op_ctod_offset(op, uint8_t *, FD_EXPECT_OFFSET), r->input + data_length, tag);
    }
    struct fd_op_meta *meta = rte_crypto_op_ctod_offset(op, struct fd_op_meta *, FD_META_OFFSET);
    meta->user_tag = r->user_tag;
    meta->body_length = data_length;
    meta->encrypt = r->encrypt;
    meta->algo = r->session->algo;
    meta->tag_length = tag;
    meta->zero_copy = (uint32_t)zero_copy;
    meta->output = NULL;
    rte_crypto_op_attach_sym_session(op, session);
    *out = op;
    return FD_OK;
}

/* An AEAD op on the guest's slots (zero_copy_region said yes): the body is read from the input slot and written to
 * the output slot, the AAD read where it is (copied into the op for FD_ZC_AAD_COPY), the seal's tag written right
 * after the body in the output slot, the open's expected tag read from the input. */
static int prepare_aead_zero_copy(fd_cryptodev *dev, const struct fd_qp_cache *c, const fd_aead_req *r, void *session,
                                  uint32_t body, int full, struct rte_crypto_op **out)
{
    struct rte_crypto_op *op = op_get(dev, c);
    if (op == NULL)
    {
        return FD_ERR_NO_MEMORY;
    }
    uint8_t *input = (uint8_t *)(uintptr_t)r->input; /* the device only reads it */
    uint8_t *in_body = input + r->aad_length;
    struct rte_mbuf *src;
    struct rte_mbuf *dst = NULL;
    if (!full)
    {
        src = attach_guest(dev->mbuf_pool, c->mbufs, op_shinfo(op, 0), in_body, body);
        dst = src != NULL ? mbuf_get(dev->mbuf_pool, c->mbufs) : NULL;
        if (dst != NULL && body > 0)
        {
            rte_pktmbuf_append(dst, (uint16_t)body); /* body <= max_op_bytes: one mbuf's room */
        }
    }
    else if ((dev->zero_copy & FD_ZC_OUT_OF_PLACE) != 0)
    {
        src = attach_guest(dev->mbuf_pool, c->mbufs, op_shinfo(op, 0), in_body, body);
        dst = src != NULL ? attach_guest(dev->mbuf_pool, c->mbufs, op_shinfo(op, 1), r->output, body) : NULL;
    }
    else
    {
        /* In place on the output slot: the guest's input stays as it was. */
        if (body > 0)
        {
            memmove(r->output, in_body, body);
        }
        src = attach_guest(dev->mbuf_pool, c->mbufs, op_shinfo(op, 0), r->output, body);
        dst = src; /* only to pass the check below */
    }
    if (src == NULL || dst == NULL)
    {
        mbuf_put(src, dev->mbuf_pool, c->mbufs);
        free_op_cached(dev, c, op);
        return FD_ERR_NO_MEMORY;
    }
    struct rte_crypto_sym_op *sym = op->sym;
    sym->m_src = src;
    sym->m_dst = dst == src ? NULL : dst;
    sym->aead.data.offset = 0;
    sym->aead.data.length = body;
    if ((dev->zero_copy & FD_ZC_AAD_COPY) != 0)
    {
        uint8_t *aad = rte_crypto_op_ctod_offset(op, uint8_t *, FD_AAD_OFFSET);
        memcpy(aad, input, r->aad_length);
        sym->aead.aad.data = aad;
        sym->aead.aad.phys_addr = rte_crypto_op_ctophys_offset(op, FD_AAD_OFFSET);
    }
    else
    {
        sym->aead.aad.data = input;
        sym->aead.aad.phys_addr = (rte_iova_t)(uintptr_t)input;
    }
    if (r->encrypt && !full)
    {
        sym->aead.digest.data = rte_crypto_op_ctod_offset(op, uint8_t *, FD_TAG_OFFSET);
        sym->aead.digest.phys_addr = rte_crypto_op_ctophys_offset(op, FD_TAG_OFFSET);
    }
    else
    {
        uint8_t *digest = r->encrypt ? r->output + body : in_body + body;
        sym->aead.digest.data = digest;
        sym->aead.digest.phys_addr = (rte_iova_t)(uintptr_t)digest;
    }
    memcpy(rte_crypto_op_ctod_offset(op, uint8_t *, FD_IV_OFFSET), r->iv, FD_IV_LENGTH);
    struct fd_op_meta *meta = rte_crypto_op_ctod_offset(op, struct fd_op_meta *, FD_META_OFFSET);
    meta->user_tag = r->user_tag;
    meta->body_length = body;
    meta->encrypt = r->encrypt;
    meta->algo = r->session->algo;
    meta->tag_length = FD_TAG_LENGTH;
    meta->zero_copy = full ? 2 : 1;
    meta->output = full ? r->output : NULL;
    rte_crypto_op_attach_sym_session(op, session);
    *out = op;
    return FD_OK;
}

static int prepare(fd_cryptodev *dev, const struct fd_qp_cache *c, const fd_aead_req *r, struct rte_crypto_op **out)
{
    if (r->session == NULL || r->session->dev != dev)
    {
        return FD_ERR_ARGS;
    }
    if (!is_aead(r->session->algo))
    {
        return prepare_digest(dev, c, r, out);
    }
    if (r->iv == NULL || (r->input == NULL && r->input_length > 0) || r->aad_length > r->input_length)
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
    /* The AAD is read through its own pointer: it must sit in the first segment. */
    if (in_mbuf > dev->max_op_bytes * dev->max_segments || r->aad_length > dev->max_op_bytes)
    {
        return FD_ERR_TOO_LARGE;
    }
    void *session = session_for(r->session, r->aad_length, r->encrypt);
    if (session == NULL)
    {
        return r->session->count == FD_MAX_AAD_LENGTHS ? FD_ERR_SESSION : FD_ERR_UNSUPPORTED;
    }
    uint32_t out_length = body + (r->encrypt ? FD_TAG_LENGTH : 0);
    /* Input only: the device reads the input slot and writes an mbuf (out of place: PMDs that have it); full: it
     * writes the output slot too (in place there, for PMDs without out of place). */
    int full = (r->flags & FD_REQ_ZERO_COPY_OUTPUT) != 0;
    int zero_copy = full ? zero_copy_region(dev, r, out_length) != NULL
                         : (dev->zero_copy & FD_ZC_OUT_OF_PLACE) != 0 && body <= dev->max_op_bytes &&
                               zero_copy_region(dev, r, 0) != NULL;
    if (zero_copy && ((dev->zero_copy & FD_ZC_AAD_COPY) == 0 || r->aad_length <= FD_AAD_COPY_MAX))
    {
        return prepare_aead_zero_copy(dev, c, r, session, body, full, out);
    }
    struct rte_crypto_op *op = op_get(dev, c);
    if (op == NULL)
    {
        return FD_ERR_NO_MEMORY;
    }
    struct rte_mbuf *m = mbuf_get(dev->mbuf_pool, c->mbufs);
    if (m == NULL)
    {
        free_op_cached(dev, c, op);
        return FD_ERR_NO_MEMORY;
    }
    /* Copy in: the AAD and the body side by side; past one mbuf's room, chained mbufs (in-place SGL PMDs only). */
    uint32_t first = in_mbuf < dev->max_op_bytes ? in_mbuf : dev->max_op_bytes;
    uint8_t *data = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)first);
    if (first > 0)
    {
        rte_memcpy(data, r->input, first);
    }
    for (uint32_t copied = first; copied < in_mbuf;)
    {
        uint32_t part = in_mbuf - copied < dev->max_op_bytes ? in_mbuf - copied : dev->max_op_bytes;
        struct rte_mbuf *segment = mbuf_get(dev->mbuf_pool, c->mbufs);
        if (segment == NULL)
        {
            mbuf_put(m, dev->mbuf_pool, c->mbufs);
            free_op_cached(dev, c, op);
            return FD_ERR_NO_MEMORY;
        }
        rte_memcpy(rte_pktmbuf_append(segment, (uint16_t)part), r->input + copied, part);
        if (rte_pktmbuf_chain(m, segment) != 0) /* adds the segment's length to the head's pkt_len */
        {
            mbuf_put(segment, dev->mbuf_pool, c->mbufs);
            mbuf_put(m, dev->mbuf_pool, c->mbufs);
            free_op_cached(dev, c, op);
            return FD_ERR_NO_MEMORY;
        }
        copied += part;
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
    meta->algo = r->session->algo;
    meta->tag_length = FD_TAG_LENGTH;
    meta->zero_copy = 0;
    meta->output = NULL;
    rte_crypto_op_attach_sym_session(op, session);
    *out = op;
    return FD_OK;
}

FD_EXPORT int fd_aead_enqueue(fd_cryptodev *dev, uint16_t queue_pair, const fd_aead_req *reqs, uint16_t count)
{
    if (dev == NULL || reqs == NULL || queue_pair >= dev->queue_pairs || dev->kind != FD_KIND_CRYPTO)
    {
        return FD_ERR_ARGS;
    }
    struct rte_crypto_op *ops[FD_MAX_BURST];
    if (count > FD_MAX_BURST)
    {
        count = FD_MAX_BURST;
    }
    const struct fd_qp_cache *c = &dev->caches[queue_pair];
    uint16_t prepared = 0;
    int first_error = FD_OK;
    for (; prepared < count; prepared++)
    {
        int rc = prepare(dev, c, &reqs[prepared], &ops[prepared]);
        if (rc != FD_OK)
        {
            first_error = rc;
            break;
        }
    }
    uint16_t taken = prepared > 0 ? rte_cryptodev_enqueue_burst(dev->dev_id, queue_pair, ops, prepared) : 0;
    for (uint16_t i = 0; i < taken; i++)
    {
        const struct fd_op_meta *meta = rte_crypto_op_ctod_offset(ops[i], struct fd_op_meta *, FD_META_OFFSET);
        c->held[meta->user_tag & c->held_mask] = ops[i];
    }
    for (uint16_t i = taken; i < prepared; i++)
    {
        free_op_cached(dev, c, ops[i]);
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

FD_EXPORT int fd_aead_forget(fd_cryptodev *dev, uint16_t queue_pair, uint64_t user_tag)
{
    if (dev == NULL || queue_pair >= dev->queue_pairs || dev->kind != FD_KIND_CRYPTO)
    {
        return FD_ERR_ARGS;
    }
    const struct fd_qp_cache *c = &dev->caches[queue_pair];
    struct rte_crypto_op *op = c->held[user_tag & c->held_mask];
    if (op == NULL)
    {
        return FD_OK; /* the device handed it back already */
    }
    struct fd_op_meta *meta = rte_crypto_op_ctod_offset(op, struct fd_op_meta *, FD_META_OFFSET);
    if (meta->user_tag != user_tag || meta->zero_copy != 2)
    {
        return FD_OK; /* not that op, or its output lands in an mbuf anyway */
    }
    struct rte_crypto_sym_op *sym = op->sym;
    rte_mbuf_refcnt_update(c->scratch, 1);
    if (sym->m_dst != NULL)
    {
        mbuf_put(sym->m_dst, dev->mbuf_pool, c->mbufs); /* out of place: the guest's output slot */
        sym->m_dst = c->scratch;
    }
    else
    {
        /* In place on the guest's output slot: the op runs on the scratch instead; its result is not used. */
        mbuf_put(sym->m_src, dev->mbuf_pool, c->mbufs);
        sym->m_src = c->scratch;
    }
    if (meta->encrypt)
    {
        sym->aead.digest.data = rte_crypto_op_ctod_offset(op, uint8_t *, FD_TAG_OFFSET);
        sym->aead.digest.phys_addr = rte_crypto_op_ctophys_offset(op, FD_TAG_OFFSET);
    }
    meta->zero_copy = 1; /* nothing of the guest's is written, nor wiped, when it comes back */
    meta->output = NULL;
    return 1;
}

FD_EXPORT int fd_aead_dequeue(fd_cryptodev *dev, uint16_t queue_pair, fd_aead_done *done, uint16_t count)
{
    if (dev == NULL || done == NULL || queue_pair >= dev->queue_pairs || dev->kind != FD_KIND_CRYPTO)
    {
        return FD_ERR_ARGS;
    }
    struct rte_crypto_op *ops[FD_MAX_BURST];
    if (count > FD_MAX_BURST)
    {
        count = FD_MAX_BURST;
    }
    uint16_t n = rte_cryptodev_dequeue_burst(dev->dev_id, queue_pair, ops, count);
    const struct fd_qp_cache *c = &dev->caches[queue_pair];
    for (uint16_t i = 0; i < n; i++)
    {
        struct rte_crypto_op *op = ops[i];
        struct fd_op_meta *meta = rte_crypto_op_ctod_offset(op, struct fd_op_meta *, FD_META_OFFSET);
        struct rte_crypto_op **held = &c->held[meta->user_tag & c->held_mask];
        if (*held == op)
        {
            *held = NULL;
        }
        done[i].user_tag = meta->user_tag;
        done[i].op = op;
        done[i].status = op->status == RTE_CRYPTO_OP_STATUS_SUCCESS       ? FD_OP_OK
                         : op->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED ? FD_OP_AUTH_FAILED
                                                                          : FD_OP_ERROR;
        done[i].zero_copy = meta->zero_copy;
        done[i].reserved = 0;
        if (is_aead(meta->algo))
        {
            done[i].output_length = meta->body_length + (meta->encrypt ? FD_TAG_LENGTH : 0);
            if (meta->zero_copy == 2 && !meta->encrypt && done[i].status != FD_OP_OK && meta->body_length > 0)
            {
                /* The device decrypted into the guest's slot before the tag check failed: unverified plaintext is
                 * not released (the copy path never wrote it). */
                memset(meta->output, 0, meta->body_length);
            }
        }
        else
        {
            done[i].output_length = meta->encrypt ? meta->tag_length : 0;
            if (!meta->encrypt && done[i].status == FD_OP_OK)
            {
                /* Verify: compare in constant time, so the timing says nothing about where a forged tag differs. */
                const uint8_t *actual = rte_crypto_op_ctod_offset(op, uint8_t *, FD_TAG_OFFSET);
                const uint8_t *expected = rte_crypto_op_ctod_offset(op, uint8_t *, FD_EXPECT_OFFSET);
                uint8_t diff = 0;
                for (uint32_t k = 0; k < meta->tag_length; k++)
                {
                    diff |= actual[k] ^ expected[k];
                }
                done[i].status = diff == 0 ? FD_OP_OK : FD_OP_AUTH_FAILED;
            }
        }
    }
    return n;
}

/* Copies a done op's output out (capacity checked); the caller frees the op. */
static int take_output(struct rte_crypto_op *op, uint8_t *output, uint32_t capacity)
{
    struct fd_op_meta *meta = rte_crypto_op_ctod_offset(op, struct fd_op_meta *, FD_META_OFFSET);
    if (!is_aead(meta->algo))
    {
        uint32_t tag = meta->encrypt ? meta->tag_length : 0;
        if (tag > capacity || (output == NULL && tag > 0))
        {
            return FD_ERR_TOO_LARGE;
        }
        if (tag > 0)
        {
            memcpy(output, rte_crypto_op_ctod_offset(op, uint8_t *, FD_TAG_OFFSET), tag);
        }
        return FD_OK;
    }
    uint32_t length = meta->body_length + (meta->encrypt ? FD_TAG_LENGTH : 0);
    if (meta->zero_copy == 2)
    {
        /* the output is in the guest's slot already */
        return length <= capacity ? FD_OK : FD_ERR_TOO_LARGE;
    }
    if (output == NULL && length > 0)
    {
        return FD_ERR_ARGS;
    }
    if (length > capacity)
    {
        return FD_ERR_TOO_LARGE;
    }
    /* Out of place (input zero copy), the body is in the destination mbuf. */
    struct rte_mbuf *m = op->sym->m_dst != NULL ? op->sym->m_dst : op->sym->m_src;
    if (meta->body_length > 0)
    {
        /* Copies across a chain's segments (and returns the data in place when it is in one). */
        const void *body = rte_pktmbuf_read(m, op->sym->aead.data.offset, meta->body_length, output);
        if (body == NULL)
        {
            return FD_ERR_ARGS;
        }
        if (body != output)
        {
            rte_memcpy(output, body, meta->body_length);
        }
    }
    if (meta->encrypt)
    {
        memcpy(output + meta->body_length, op->sym->aead.digest.data, FD_TAG_LENGTH);
    }
    return FD_OK;
}


FD_EXPORT int fd_aead_take_burst(fd_cryptodev *dev, uint16_t queue_pair, fd_take *items, uint16_t count)
{
    if (dev == NULL || items == NULL || queue_pair >= dev->queue_pairs || dev->kind != FD_KIND_CRYPTO ||
        count > FD_MAX_BURST)
    {
        return FD_ERR_ARGS;
    }
    const struct fd_qp_cache *c = &dev->caches[queue_pair];
    for (uint16_t i = 0; i < count; i++)
    {
        fd_take *t = &items[i];
        struct rte_crypto_op *op = t->op;
        if (op == NULL)
        {
            t->result = FD_ERR_ARGS;
            continue;
        }
        t->result = (t->flags & FD_TAKE_FREE_ONLY) != 0 ? FD_OK : take_output(op, t->output, t->capacity);
        free_op_cached(dev, c, op);
        t->op = NULL;
    }
    return FD_OK;
}

FD_EXPORT void fd_op_free(void *handle)
{
    if (handle != NULL)
    {
        free_op(handle);
    }
}

/* ---- Discovery: what EAL probed, and what each device can do (its capabilities, not its name). ---- */

static uint32_t crypto_capabilities(uint8_t id)
{
    uint32_t caps = 0;
    if (check_aead_key(id, FD_ALGO_AES_GCM, 16, 0) == FD_OK)
    {
        caps |= FD_CAP_AES128_GCM;
    }
    if (check_aead_key(id, FD_ALGO_AES_GCM, 32, 0) == FD_OK)
    {
        caps |= FD_CAP_AES256_GCM;
    }
    if (check_aead_key(id, FD_ALGO_CHACHA20_POLY1305, 32, 0) == FD_OK)
    {
        caps |= FD_CAP_CHACHA20_POLY1305;
    }
    if (check_auth(id, FD_ALGO_SHA256, 0) == FD_OK)
    {
        caps |= FD_CAP_SHA256;
    }
    if (check_auth(id, FD_ALGO_HMAC_SHA256, 32) == FD_OK)
    {
        caps |= FD_CAP_HMAC_SHA256;
    }
    return caps;
}

FD_EXPORT int fd_device_list(fd_device_desc *out, uint32_t capacity)
{
    if (s_eal_state != 1 || (out == NULL && capacity > 0))
    {
        return FD_ERR_EAL;
    }
    uint32_t n = 0;
    for (unsigned id = 0; id < RTE_CRYPTO_MAX_DEVS; id++)
    {
        if (!rte_cryptodev_is_valid_dev((uint8_t)id))
        {
            continue;
        }
        if (n < capacity)
        {
            fd_device_desc *d = &out[n];
            memset(d, 0, sizeof(*d));
            struct rte_cryptodev_info info;
            rte_cryptodev_info_get((uint8_t)id, &info);
            const char *name = rte_cryptodev_name_get((uint8_t)id);
            snprintf(d->name, sizeof(d->name), "%s", name != NULL ? name : "");
            snprintf(d->driver, sizeof(d->driver), "%s", info.driver_name != NULL ? info.driver_name : "");
            d->socket_id = rte_cryptodev_socket_id((uint8_t)id);
            d->max_queue_pairs = info.max_nb_queue_pairs;
            d->capabilities = crypto_capabilities((uint8_t)id);
            d->kind = FD_KIND_CRYPTO;
        }
        n++;
    }
    /* compressdev exports no validity check and its name_get reads unused slots: an id is a device when its name
     * maps back to it (get_dev_id looks at attached devices only). */
    unsigned comp_left = rte_compressdev_count();
    for (unsigned id = 0; id < RTE_COMPRESS_MAX_DEVS && comp_left > 0; id++)
    {
        const char *name = rte_compressdev_name_get((uint8_t)id);
        if (name == NULL || name[0] == 0 || rte_compressdev_get_dev_id(name) != (int)id)
        {
            continue;
        }
        comp_left--;
        if (n < capacity)
        {
            fd_device_desc *d = &out[n];
            memset(d, 0, sizeof(*d));
            struct rte_compressdev_info info;
            rte_compressdev_info_get((uint8_t)id, &info);
            snprintf(d->name, sizeof(d->name), "%s", name);
            snprintf(d->driver, sizeof(d->driver), "%s", info.driver_name != NULL ? info.driver_name : "");
            d->socket_id = rte_compressdev_socket_id((uint8_t)id);
            d->max_queue_pairs = info.max_nb_queue_pairs;
            const struct rte_compressdev_capabilities *cap = rte_compressdev_capability_get((uint8_t)id, RTE_COMP_ALGO_DEFLATE);
            d->capabilities = cap != NULL ? FD_CAP_DEFLATE : 0;
            d->kind = FD_KIND_COMPRESS;
        }
        n++;
    }
    return (int)n;
}

/* ---- compressdev: raw deflate (RFC 1951, no zlib header or checksum), stateless, one flat mbuf each way. ---- */

static struct fd_op_meta *comp_meta(struct rte_comp_op *op)
{
    /* rte_comp_op_pool_create puts user_size bytes right after the op. */
    return (struct fd_op_meta *)(op + 1);
}

/* A comp op's user area: its meta, then the shared infos of its two external buffers (zero copy). */
#define COMP_SHINFO_OFFSET RTE_ALIGN_CEIL(sizeof(struct fd_op_meta), 16)
#define COMP_USER_SIZE (COMP_SHINFO_OFFSET + 2 * sizeof(struct rte_mbuf_ext_shared_info))

static struct rte_mbuf_ext_shared_info *comp_shinfo(struct rte_comp_op *op, int which)
{
    return (struct rte_mbuf_ext_shared_info *)((uint8_t *)(op + 1) + COMP_SHINFO_OFFSET) + which;
}

FD_EXPORT int fd_compressdev_open(const char *name, uint16_t queue_pairs, uint32_t depth, uint32_t max_op_bytes,
                                  fd_cryptodev **out, char *err, size_t err_length)
{
    if (out == NULL || name == NULL)
    {
        return fail(err, err_length, FD_ERR_ARGS, "name and out must not be null");
    }
    *out = NULL;
    if (s_eal_state != 1)
    {
        return fail(err, err_length, FD_ERR_EAL, "EAL is not running: initialise it before opening compressdev %s", name);
    }
    uint32_t max_single = UINT16_MAX - RTE_PKTMBUF_HEADROOM;
    if (queue_pairs == 0 || depth == 0 || max_op_bytes == 0 || max_op_bytes > max_single)
    {
        return fail(err, err_length, FD_ERR_ARGS, "queue pairs (%u), depth (%u) must be > 0 and max op bytes (%u) in [1, %u]",
                    queue_pairs, depth, max_op_bytes, max_single);
    }
    int id = rte_compressdev_get_dev_id(name);
    if (id < 0)
    {
        return fail(err, err_length, FD_ERR_NO_DEVICE,
                    "no compressdev named %s (%u present): add it to the EAL arguments, e.g. --vdev %s",
                    name, rte_compressdev_count(), name);
    }
    if (s_open_comp[id])
    {
        return fail(err, err_length, FD_ERR_DEVICE, "compressdev %s is already open in this process: close it first", name);
    }
    if (rte_compressdev_capability_get((uint8_t)id, RTE_COMP_ALGO_DEFLATE) == NULL)
    {
        return fail(err, err_length, FD_ERR_UNSUPPORTED, "compressdev %s does not do deflate", name);
    }
    struct rte_compressdev_info info;
    rte_compressdev_info_get((uint8_t)id, &info);
    if (info.max_nb_queue_pairs != 0 && queue_pairs > info.max_nb_queue_pairs)
    {
        return fail(err, err_length, FD_ERR_DEVICE, "compressdev %s (%s) has %u queue pairs, %u asked",
                    name, info.driver_name, info.max_nb_queue_pairs, queue_pairs);
    }
    int socket = rte_compressdev_socket_id((uint8_t)id);
    if (socket < 0)
    {
        socket = SOCKET_ID_ANY;
    }
    fd_cryptodev *dev = calloc(1, sizeof(*dev));
    if (dev == NULL)
    {
        return fail(err, err_length, FD_ERR_NO_MEMORY, "out of memory");
    }
    dev->kind = FD_KIND_COMPRESS;
    dev->max_segments = 1;
    const char *driver = info.driver_name != NULL ? info.driver_name : "";
    if (strcmp(driver, "compress_isal") == 0 || strcmp(driver, "compress_zlib") == 0)
    {
        dev->zero_copy = FD_ZC_OUT_OF_PLACE;
        snprintf(dev->zero_copy_why, sizeof(dev->zero_copy_why), "out of place: mbufs attached to the guest's input and output slots");
    }
    else
    {
        /* compressdev exposes no rte_device (nothing to DMA-map a region to): hardware copies. */
        dev->zero_copy = FD_ZC_NONE;
        snprintf(dev->zero_copy_why, sizeof(dev->zero_copy_why),
                 "copy: %s is not a software PMD and compressdev gives no device to DMA-map guest memory to", driver);
    }
    dev->dev_id = (uint8_t)id;
    dev->queue_pairs = queue_pairs;
    dev->depth = depth;
    dev->socket_id = socket;
    dev->max_op_bytes = max_op_bytes;
    snprintf(dev->name, sizeof(dev->name), "%s", name);
    uint32_t ops = (uint32_t)queue_pairs * depth * 2;
    char pool_name[RTE_MEMPOOL_NAMESIZE];
    snprintf(pool_name, sizeof(pool_name), "fd_cop_%u", id);
    dev->op_pool = rte_comp_op_pool_create(pool_name, ops, 0, COMP_USER_SIZE, socket);
    snprintf(pool_name, sizeof(pool_name), "fd_cmbuf_%u", id);
    /* Two mbufs an op: its input and its output. */
    dev->mbuf_pool = rte_pktmbuf_pool_create(pool_name, ops * 2, 0, 0, (uint16_t)(max_op_bytes + RTE_PKTMBUF_HEADROOM), socket);
    if (dev->op_pool == NULL || dev->mbuf_pool == NULL)
    {
        int e = rte_errno;
        rte_mempool_free(dev->op_pool);
        rte_mempool_free(dev->mbuf_pool);
        free(dev);
        return fail(err, err_length, FD_ERR_NO_MEMORY,
                    "cannot create the mempools of compressdev %s (%u ops of %u bytes): %s; give EAL more memory (-m)",
                    name, ops, max_op_bytes, rte_strerror(e));
    }
    /* Each Fabric deflate session holds two private xforms (compress, decompress); one session per queue pair. */
    struct rte_compressdev_config config = {
        .socket_id = socket,
        .nb_queue_pairs = queue_pairs,
        .max_nb_priv_xforms = (uint16_t)(queue_pairs * 4),
        .max_nb_streams = 0,
    };
    int rc = rte_compressdev_configure(dev->dev_id, &config);
    if (rc < 0)
    {
        release(dev);
        return fail(err, err_length, FD_ERR_DEVICE, "rte_compressdev_configure(%s): %s", name, rte_strerror(-rc));
    }
    for (uint16_t qp = 0; qp < queue_pairs; qp++)
    {
        rc = rte_compressdev_queue_pair_setup(dev->dev_id, qp, depth, socket);
        if (rc < 0)
        {
            release(dev);
            return fail(err, err_length, FD_ERR_DEVICE, "rte_compressdev_queue_pair_setup(%s, %u, %u descriptors): %s",
                        name, qp, depth, rte_strerror(-rc));
        }
    }
    rc = rte_compressdev_start(dev->dev_id);
    if (rc < 0)
    {
        release(dev);
        return fail(err, err_length, FD_ERR_DEVICE, "rte_compressdev_start(%s): %s", name, rte_strerror(-rc));
    }
    s_open_comp[id] = 1;
    *out = dev;
    return FD_OK;
}

static int create_comp_xforms(fd_aead_session *s, char *err, size_t err_length)
{
    struct rte_comp_xform compress;
    memset(&compress, 0, sizeof(compress));
    compress.type = RTE_COMP_COMPRESS;
    compress.compress.algo = RTE_COMP_ALGO_DEFLATE;
    compress.compress.deflate.huffman = RTE_COMP_HUFFMAN_DYNAMIC;
    compress.compress.level = (int)s->key_length;
    compress.compress.window_size = 15;
    compress.compress.chksum = RTE_COMP_CHECKSUM_NONE;
    compress.compress.hash_algo = RTE_COMP_HASH_ALGO_NONE;
    struct rte_comp_xform decompress;
    memset(&decompress, 0, sizeof(decompress));
    decompress.type = RTE_COMP_DECOMPRESS;
    decompress.decompress.algo = RTE_COMP_ALGO_DEFLATE;
    decompress.decompress.window_size = 15;
    decompress.decompress.chksum = RTE_COMP_CHECKSUM_NONE;
    decompress.decompress.hash_algo = RTE_COMP_HASH_ALGO_NONE;
    /* Slot 0 decompresses, slot 1 compresses: indexed by the request's `encrypt`. */
    int rc = rte_compressdev_private_xform_create(s->dev->dev_id, &decompress, &s->slots[0].session);
    if (rc < 0)
    {
        return fail(err, err_length, FD_ERR_SESSION, "rte_compressdev_private_xform_create(%s, decompress): %s",
                    s->dev->name, rte_strerror(-rc));
    }
    s->count = 1;
    rc = rte_compressdev_private_xform_create(s->dev->dev_id, &compress, &s->slots[1].session);
    if (rc < 0)
    {
        rte_compressdev_private_xform_free(s->dev->dev_id, s->slots[0].session);
        s->count = 0;
        return fail(err, err_length, FD_ERR_SESSION, "rte_compressdev_private_xform_create(%s, compress level %u): %s",
                    s->dev->name, s->key_length, rte_strerror(-rc));
    }
    s->count = 2;
    return FD_OK;
}

static void free_comp_op(struct rte_comp_op *op)
{
    rte_pktmbuf_free(op->m_src);
    rte_pktmbuf_free(op->m_dst);
    op->m_src = NULL;
    op->m_dst = NULL;
    rte_comp_op_free(op);
}

static int prepare_comp(fd_cryptodev *dev, const fd_aead_req *r, struct rte_comp_op **out)
{
    if (r->session == NULL || r->session->dev != dev || r->session->algo != FD_ALGO_DEFLATE ||
        (r->input == NULL && r->input_length > 0) || r->aad_length != 0)
    {
        return FD_ERR_ARGS;
    }
    if (r->input_length > dev->max_op_bytes)
    {
        return FD_ERR_TOO_LARGE;
    }
    uint32_t capacity = r->reserved < dev->max_op_bytes ? r->reserved : dev->max_op_bytes;
    struct rte_comp_op *op = rte_comp_op_alloc(dev->op_pool);
    if (op == NULL)
    {
        return FD_ERR_NO_MEMORY;
    }
    /* Zero copy: the source mbuf is the guest's input slot, the destination its output slot (the PMDs take the output
     * room from the destination's data length, so they never write past `capacity` bytes of it). */
    int full = (r->flags & FD_REQ_ZERO_COPY_OUTPUT) != 0;
    int zero_copy = zero_copy_region(dev, r, full ? capacity : 0) != NULL && (!full || capacity > 0);
    struct rte_mbuf *src = zero_copy ? attach_guest(dev->mbuf_pool, NULL, comp_shinfo(op, 0), (uint8_t *)(uintptr_t)r->input, r->input_length)
                                     : rte_pktmbuf_alloc(dev->mbuf_pool);
    struct rte_mbuf *dst = src == NULL ? NULL
                           : zero_copy && full ? attach_guest(dev->mbuf_pool, NULL, comp_shinfo(op, 1), r->output, capacity)
                                               : rte_pktmbuf_alloc(dev->mbuf_pool);
    if (dst == NULL)
    {
        rte_pktmbuf_free(src);
        rte_comp_op_free(op);
        return FD_ERR_NO_MEMORY;
    }
    if (!zero_copy)
    {
        uint8_t *data = (uint8_t *)rte_pktmbuf_append(src, (uint16_t)r->input_length);
        if (r->input_length > 0)
        {
            rte_memcpy(data, r->input, r->input_length);
        }
    }
    if (!(zero_copy && full))
    {
        rte_pktmbuf_append(dst, (uint16_t)capacity);
    }
    op->op_type = RTE_COMP_OP_STATELESS;
    op->private_xform = r->session->slots[r->encrypt ? 1 : 0].session;
    op->m_src = src;
    op->m_dst = dst;
    op->src.offset = 0;
    op->src.length = r->input_length;
    op->dst.offset = 0;
    op->flush_flag = RTE_COMP_FLUSH_FINAL;
    struct fd_op_meta *meta = comp_meta(op);
    meta->user_tag = r->user_tag;
    meta->body_length = capacity;
    meta->encrypt = r->encrypt;
    meta->algo = FD_ALGO_DEFLATE;
    meta->tag_length = 0;
    meta->zero_copy = zero_copy ? (full ? 2u : 1u) : 0u;
    meta->output = zero_copy && full ? r->output : NULL;
    *out = op;
    return FD_OK;
}

FD_EXPORT int fd_comp_enqueue(fd_cryptodev *dev, uint16_t queue_pair, const fd_aead_req *reqs, uint16_t count)
{
    if (dev == NULL || reqs == NULL || queue_pair >= dev->queue_pairs || dev->kind != FD_KIND_COMPRESS)
    {
        return FD_ERR_ARGS;
    }
    struct rte_comp_op *ops[FD_MAX_BURST];
    if (count > FD_MAX_BURST)
    {
        count = FD_MAX_BURST;
    }
    uint16_t prepared = 0;
    int first_error = FD_OK;
    for (; prepared < count; prepared++)
    {
        int rc = prepare_comp(dev, &reqs[prepared], &ops[prepared]);
        if (rc != FD_OK)
        {
            first_error = rc;
            break;
        }
    }
    uint16_t taken = prepared > 0 ? rte_compressdev_enqueue_burst(dev->dev_id, queue_pair, ops, prepared) : 0;
    for (uint16_t i = taken; i < prepared; i++)
    {
        free_comp_op(ops[i]);
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

FD_EXPORT int fd_comp_dequeue(fd_cryptodev *dev, uint16_t queue_pair, fd_aead_done *done, uint16_t count)
{
    if (dev == NULL || done == NULL || queue_pair >= dev->queue_pairs || dev->kind != FD_KIND_COMPRESS)
    {
        return FD_ERR_ARGS;
    }
    struct rte_comp_op *ops[FD_MAX_BURST];
    if (count > FD_MAX_BURST)
    {
        count = FD_MAX_BURST;
    }
    uint16_t n = rte_compressdev_dequeue_burst(dev->dev_id, queue_pair, ops, count);
    for (uint16_t i = 0; i < n; i++)
    {
        struct rte_comp_op *op = ops[i];
        struct fd_op_meta *meta = comp_meta(op);
        done[i].user_tag = meta->user_tag;
        done[i].op = op;
        done[i].zero_copy = meta->zero_copy;
        done[i].reserved = 0;
        switch (op->status)
        {
        case RTE_COMP_OP_STATUS_SUCCESS:
            /* A decompression that stopped before the final block is a truncated stream, not a result. */
            done[i].status = op->consumed == op->src.length ? FD_OP_OK : FD_OP_ERROR;
            break;
        case RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED:
        case RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE:
            done[i].status = FD_OP_OUT_OF_SPACE;
            break;
        default:
            done[i].status = FD_OP_ERROR;
            break;
        }
        done[i].output_length = done[i].status == FD_OP_OK ? op->produced : 0;
    }
    return n;
}

FD_EXPORT int fd_comp_take(void *handle, uint8_t *output, uint32_t capacity)
{
    struct rte_comp_op *op = handle;
    if (op == NULL)
    {
        return FD_ERR_ARGS;
    }
    uint32_t length = op->produced;
    if (comp_meta(op)->zero_copy == 2)
    {
        free_comp_op(op); /* the device wrote the guest's slot, within the capacity it was given */
        return length <= capacity ? FD_OK : FD_ERR_TOO_LARGE;
    }
    if (length > capacity || (output == NULL && length > 0))
    {
        free_comp_op(op);
        return FD_ERR_TOO_LARGE;
    }
    if (length > 0)
    {
        rte_memcpy(output, rte_pktmbuf_mtod(op->m_dst, uint8_t *), length);
    }
    free_comp_op(op);
    return FD_OK;
}

FD_EXPORT void fd_comp_op_free(void *handle)
{
    if (handle != NULL)
    {
        free_comp_op(handle);
    }
}

FD_EXPORT int fd_queue_pair_reset(fd_cryptodev *dev, uint16_t queue_pair, char *err, size_t err_length)
{
    if (dev == NULL || queue_pair >= dev->queue_pairs)
    {
        return fail(err, err_length, FD_ERR_ARGS, "no queue pair %u on this device", queue_pair);
    }
    int compress = dev->kind == FD_KIND_COMPRESS;
    /* What the queue pair still holds is its previous driver's (that driver is gone): dequeue and free it while
     * the device runs (a stopped device dequeues nothing); bounded, a hung device may keep handing nothing back. */
    for (int round = 0; round < 64; round++)
    {
        uint16_t n;
        if (compress)
        {
            struct rte_comp_op *ops[FD_MAX_BURST];
            n = rte_compressdev_dequeue_burst(dev->dev_id, queue_pair, ops, FD_MAX_BURST);
            for (uint16_t i = 0; i < n; i++)
            {
                free_comp_op(ops[i]);
            }
        }
        else
        {
            struct rte_crypto_op *ops[FD_MAX_BURST];
            n = rte_cryptodev_dequeue_burst(dev->dev_id, queue_pair, ops, FD_MAX_BURST);
            for (uint16_t i = 0; i < n; i++)
            {
                free_op(ops[i]);
            }
        }
        if (n == 0)
        {
            break;
        }
    }
    if (!compress)
    {
        /* Nothing of the previous driver's is inside any more (or, from a hung device, ever comes back). */
        memset(dev->caches[queue_pair].held, 0, (dev->caches[queue_pair].held_mask + 1) * sizeof(struct rte_crypto_op *));
    }
    /* Queue pairs can only be set up on a stopped device; the other queue pairs keep their rings and the ops in
     * them (their drivers are paused by the caller around this call). */
    int rc;
    if (compress)
    {
        rte_compressdev_stop(dev->dev_id);
        rc = rte_compressdev_queue_pair_setup(dev->dev_id, queue_pair, dev->depth, dev->socket_id);
    }
    else
    {
        rte_cryptodev_stop(dev->dev_id);
        struct rte_cryptodev_qp_conf qp_config = {.nb_descriptors = dev->depth, .mp_session = dev->session_pool};
        rc = rte_cryptodev_queue_pair_setup(dev->dev_id, queue_pair, &qp_config, dev->socket_id);
    }
    int start = compress ? rte_compressdev_start(dev->dev_id) : rte_cryptodev_start(dev->dev_id);
    if (rc < 0)
    {
        return fail(err, err_length, FD_ERR_DEVICE, "%s_queue_pair_setup(%s, %u) on reset: %s%s",
                    compress ? "rte_compressdev" : "rte_cryptodev", dev->name, queue_pair, rte_strerror(-rc),
                    start < 0 ? "; the device did not start again" : "");
    }
    if (start < 0)
    {
        return fail(err, err_length, FD_ERR_DEVICE, "%s_start(%s) on reset: %s", compress ? "rte_compressdev" : "rte_cryptodev",
                    dev->name, rte_strerror(-start));
    }
    return FD_OK;
}
