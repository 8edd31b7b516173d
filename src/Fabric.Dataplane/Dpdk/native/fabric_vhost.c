/*
 * fabric_vhost: see fabric_vhost.h and docs/vhost.md.
 *
 * Why not DPDK's rte_vhost_crypto: with Debian 12's pair (QEMU 7.2, DPDK 22.11) it cannot work. QEMU 7.1 removed
 * op_code from CryptoDevBackendSymSessionInfo, so VHOST_USER_CREATE_CRYPTO_SESSION arrives 4 bytes off from the
 * layout DPDK 22.11 parses (every session fails with -VIRTIO_CRYPTO_BADMSG), and rte_vhost_crypto_create clears the
 * pre-message hook a backend could fix it in. So Fabric owns the session messages (rte_vhost_extern_callback_register,
 * as issue 16 suggests for failover) and the virtio-crypto data queue; the AC runs the requests on its g-drivers.
 * (An earlier cryptodev path, the backend running requests on its own DPDK cryptodev, was removed: one backend.)
 */
#include "fabric_vhost.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_vhost.h>

#define FV_EXPORT __attribute__((visibility("default")))
#define FV_DEPTH 256          /* the most requests in the AC at once (tokens) */
#define FV_MAX_DATA 32768     /* largest request (src = dst bytes); larger ones get VIRTIO_CRYPTO_NOTSUPP */
#define FV_SESSIONS 1024
#define FV_MAX_BACKENDS 64
#define FV_MAX_SEGMENTS 8     /* writable descriptors of one request's destination */
#define FV_MAX_DIGEST 32      /* HMAC-SHA256's; the digest lives in the arena slot right after the data */
#define FV_FABRIC_MAX_AUTH_KEY 128 /* Fabric's .NET HMAC chains take MAC keys up to 128 bytes */
#define FV_DATA_QUEUE 0       /* QEMU's cryptodev-vhost-user has one data queue (queues=1); the control queue stays in QEMU */

/* virtio-crypto (virtio spec 1.2, 5.9) and vhost-user numbers. */
#define VC_OK 0
#define VC_ERR 1
#define VC_BADMSG 2
#define VC_NOTSUPP 3
#define VC_INVSESS 4
#define VC_CIPHER_ENCRYPT 0x0000
#define VC_CIPHER_DECRYPT 0x0001
#define VC_SYM_OP_CIPHER 1
#define VC_SYM_OP_CHAIN 2
#define VC_HASH_MODE_AUTH 2
#define VC_CHAIN_HASH_THEN_CIPHER 1
#define VC_CHAIN_CIPHER_THEN_HASH 2
#define VC_MAC_HMAC_SHA1 2
#define VC_MAC_HMAC_SHA256 4
#define VC_CIPHER_AES_CBC 3
#define VC_OP_ENCRYPT 1
#define VC_OP_DECRYPT 2
#define VHU_SET_FEATURES 2
#define VHU_CREATE_CRYPTO_SESSION 26
#define VHU_CLOSE_CRYPTO_SESSION 27
#define VHU_PAYLOAD 12 /* request, flags, size (packed), then the payload */
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VC_HEADER_BYTES 72 /* struct virtio_crypto_op_data_req */

/* Where a request's answer goes, kept with its token. */
typedef struct fv_req
{
    uint16_t head;
    uint8_t segments;
    uint32_t length;
    uint8_t *status;
    uint8_t *dst[FV_MAX_SEGMENTS];
    uint32_t dst_length[FV_MAX_SEGMENTS];
} fv_req;

/* Session slots: 0 free, 1 live, 2 closed by the guest (freed by the poller when nothing is in flight), 3 being made. */
typedef struct fv_session
{
    uint8_t encrypt;
    uint8_t chain;         /* an algorithm-chaining session: AES-CBC + HMAC */
    uint8_t digest_length; /* chain: bytes of the HMAC the request's hash_result must take */
    int state;
    /* The keys themselves (the AC opens the session on its g-driver from them) and a generation that changes
       whenever the slot is reused, so the AC never runs a request on a previous owner's session. */
    uint32_t generation;
    uint8_t key_length;
    uint16_t auth_key_length;
    uint8_t key[32];
    uint8_t auth_key[FV_FABRIC_MAX_AUTH_KEY];
} fv_session;

/* One request the AC holds (token = its index): in slot 2*token, out slot 2*token + 1 of the arena. */
typedef struct fv_token
{
    fv_req req;
    uint32_t epoch;    /* the guest connection it came from: a later one's memory is not this request's */
    uint32_t expected; /* bytes the g-driver must write for an Ok answer */
    uint8_t used;
} fv_token;

struct fv_backend
{
    char path[256];

    /* Set by the vhost thread in new_device / destroy_device; `busy` is the poller's half of the handshake that lets
       destroy_device wait for the poller to be out before it takes the ring away. */
    int vid;
    int active;
    int busy;
    struct rte_vhost_memory *memory;
    struct rte_vhost_vring ring;
    uint16_t last_avail;
    uint16_t last_used;

    fv_session sessions[FV_SESSIONS];
    fv_stats stats;

    /* Requests go to the AC through fv_backend_fetch and come back through fv_backend_complete. Tokens, the free list
       and the reaped ring are the poller's alone. */
    uint32_t key_length; /* the AES key the queue's function takes (16 or 32; 0: any AES key size, aes-cbc) */
    uint32_t mac;        /* 0: cipher sessions; VC_MAC_HMAC_SHA1 / _SHA256: chain sessions with that MAC */
    uint8_t *arena;
    uint32_t slot_size;
    uint32_t depth;
    uint32_t epoch;
    fv_token tokens[FV_DEPTH];
    uint16_t free_tokens[FV_DEPTH];
    uint32_t free_count;
    uint64_t reaped[FV_SESSIONS]; /* (generation << 32) | id of sessions freed since the AC last asked */
    uint32_t reaped_head;
    uint32_t reaped_count;
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

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void wr64(uint8_t *p, int64_t v)
{
    memcpy(p, &v, sizeof(v));
}

/*
 * VHOST_USER_CREATE_CRYPTO_SESSION as QEMU >= 7.1 sends it (VhostUserCryptoSession without op_code): session_id i64
 * at 0, cipher_alg 8, key_len 12, hash_alg 16, hash_result_len 20, auth_key_len 24, add_len 28, op_type 32,
 * direction 33, hash_mode 34, alg_chain_order 35, two pointers at 40 and 48, key[64] at 56, auth_key[512] at 120.
 * The reply is the same message with session_id set: >= 0 the id, < 0 a negated VIRTIO_CRYPTO_* status.
 */
static int64_t create_session(fv_backend *b, uint8_t *p, uint32_t size)
{
    if (size < 120)
    {
        return -VC_BADMSG;
    }
    uint32_t alg = rd32(p + 8), key_length = rd32(p + 12);
    uint8_t op_type = p[32], direction = p[33];
    if ((op_type != VC_SYM_OP_CIPHER && op_type != VC_SYM_OP_CHAIN) || alg != VC_CIPHER_AES_CBC)
    {
        return -VC_NOTSUPP; /* AES-CBC ciphers and AES-CBC + HMAC chains only */
    }
    if ((key_length != 16 && key_length != 24 && key_length != 32) ||
        (direction != VC_OP_ENCRYPT && direction != VC_OP_DECRYPT))
    {
        return -VC_BADMSG;
    }
    uint32_t digest_length = 0, auth_key_length = 0;
    if (op_type == VC_SYM_OP_CHAIN)
    {
        /* hash_alg 16 (a VIRTIO_CRYPTO_MAC_* in AUTH mode), hash_result_len 20, auth_key_len 24, aad_len 28,
           hash_mode 34, alg_chain_order 35. Encrypt-then-MAC only: an encrypting session hashes the ciphertext
           after the cipher, a decrypting one hashes it before; the other two orders are not a sane chain.
           As DPDK's vhost-crypto does: an encrypting session writes the MAC to the request's hash_result; a
           decrypting one reads the expected MAC there (the guest puts it in), checks it over the ciphertext before
           decrypting, and answers BADMSG with no plaintext when it does not match. */
        uint32_t mac = rd32(p + 16), aad_length = rd32(p + 28);
        uint8_t hash_mode = p[34], order = p[35];
        auth_key_length = rd32(p + 24);
        digest_length = rd32(p + 20);
        if (hash_mode != VC_HASH_MODE_AUTH || (mac != VC_MAC_HMAC_SHA1 && mac != VC_MAC_HMAC_SHA256))
        {
            return -VC_NOTSUPP;
        }
        uint32_t full = mac == VC_MAC_HMAC_SHA1 ? 20 : 32;
        if (order != (direction == VC_OP_ENCRYPT ? VC_CHAIN_CIPHER_THEN_HASH : VC_CHAIN_HASH_THEN_CIPHER) ||
            digest_length != full || auth_key_length == 0 || auth_key_length > 512 || aad_length != 0 ||
            size < 120 + auth_key_length)
        {
            return -VC_BADMSG;
        }
        if (mac != b->mac || auth_key_length > FV_FABRIC_MAX_AUTH_KEY)
        {
            return -VC_NOTSUPP; /* not the queue's function */
        }
    }
    if ((b->key_length != 0 && key_length != b->key_length) || (b->mac == 0) != (op_type == VC_SYM_OP_CIPHER))
    {
        return -VC_NOTSUPP; /* a key size or session kind the queue's g-driver does not take */
    }
    for (int i = 0; i < FV_SESSIONS; i++)
    {
        int expected = 0;
        fv_session *f = &b->sessions[i];
        if (__atomic_compare_exchange_n(&f->state, &expected, 3, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        {
            f->generation++;
            f->key_length = (uint8_t)key_length;
            memcpy(f->key, p + 56, key_length);
            f->auth_key_length = (uint16_t)auth_key_length;
            memcpy(f->auth_key, p + 120, auth_key_length);
            f->encrypt = direction == VC_OP_ENCRYPT;
            f->chain = op_type == VC_SYM_OP_CHAIN;
            f->digest_length = (uint8_t)digest_length;
            __atomic_store_n(&f->state, 1, __ATOMIC_RELEASE);
            __atomic_add_fetch(&b->stats.sessions, 1, __ATOMIC_RELAXED);
            return i;
        }
    }
    return -VC_ERR;
}

static enum rte_vhost_msg_result on_message(int vid, void *msg)
{
    uint8_t *m = msg;
    uint32_t request = rd32(m), size = rd32(m + 8);
    if (request == VHU_SET_FEATURES)
    {
        /*
         * QEMU 7.2's cryptodev-vhost-user starts its rings without VHOST_USER_SET_VRING_ENABLE; DPDK keeps a ring
         * disabled until that message once VHOST_USER_F_PROTOCOL_FEATURES is negotiated, so the device would never
         * become ready. The protocol features are needed (sessions travel as protocol messages), so only DPDK's own
         * view of the negotiated virtio features loses the bit: per the vhost-user spec a ring then starts enabled.
         */
        uint64_t features;
        memcpy(&features, m + VHU_PAYLOAD, sizeof(features));
        features &= ~(1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
        memcpy(m + VHU_PAYLOAD, &features, sizeof(features));
        return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
    }
    if (request != VHU_CREATE_CRYPTO_SESSION && request != VHU_CLOSE_CRYPTO_SESSION)
    {
        return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
    }
    fv_backend *b = find_backend(vid);
    if (b == NULL)
    {
        return RTE_VHOST_MSG_RESULT_ERR;
    }
    if (request == VHU_CREATE_CRYPTO_SESSION)
    {
        int64_t id = create_session(b, m + VHU_PAYLOAD, size);
        if (id < 0)
        {
            __atomic_add_fetch(&b->stats.sessions_refused, 1, __ATOMIC_RELAXED);
        }
        wr64(m + VHU_PAYLOAD, id);
        return RTE_VHOST_MSG_RESULT_REPLY;
    }
    uint64_t id;
    memcpy(&id, m + VHU_PAYLOAD, sizeof(id));
    int expected = 1;
    if (size < sizeof(id) || id >= FV_SESSIONS ||
        !__atomic_compare_exchange_n(&b->sessions[id].state, &expected, 2, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
    {
        return RTE_VHOST_MSG_RESULT_ERR;
    }
    return RTE_VHOST_MSG_RESULT_OK;
}

static const struct rte_vhost_user_extern_ops s_message_ops = {.pre_msg_handle = on_message};

static int on_new_connection(int vid)
{
    return rte_vhost_extern_callback_register(vid, &s_message_ops, NULL);
}

/* Frees sessions the guest closed; only while nothing is in the AC, since a request there may point at one. */
static void reap_sessions(fv_backend *b, int all)
{
    for (int i = 0; i < FV_SESSIONS; i++)
    {
        int state = __atomic_load_n(&b->sessions[i].state, __ATOMIC_ACQUIRE);
        if (state == 2 || (all && state == 1))
        {
            if (!all)
            {
                if (b->reaped_count == FV_SESSIONS)
                {
                    return; /* the AC has not asked yet: the rest waits for the next pass */
                }
                b->reaped[(b->reaped_head + b->reaped_count++) % FV_SESSIONS] =
                    ((uint64_t)b->sessions[i].generation << 32) | (uint32_t)i;
            }
            memset(b->sessions[i].key, 0, sizeof(b->sessions[i].key));
            memset(b->sessions[i].auth_key, 0, sizeof(b->sessions[i].auth_key));
            __atomic_store_n(&b->sessions[i].state, 0, __ATOMIC_RELEASE);
        }
    }
}

static int on_new_device(int vid)
{
    fv_backend *b = find_backend(vid);
    if (b == NULL || __atomic_load_n(&b->active, __ATOMIC_SEQ_CST))
    {
        /* One guest per backend: a second connection on the socket (another QEMU, or anything else) must not take
           over the ring and memory of the guest being served; it stays connected and unserved. */
        return -1;
    }
    if (rte_vhost_get_mem_table(vid, &b->memory) != 0 || rte_vhost_get_vhost_vring(vid, FV_DATA_QUEUE, &b->ring) != 0 ||
        rte_vhost_get_vring_base(vid, FV_DATA_QUEUE, &b->last_avail, &b->last_used) != 0 || b->ring.size == 0 ||
        b->ring.desc == NULL || b->ring.avail == NULL || b->ring.used == NULL)
    {
        free(b->memory);
        b->memory = NULL;
        return -1;
    }
    b->vid = vid;
    __atomic_add_fetch(&b->stats.guests_seen, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&b->stats.guests_ready, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&b->active, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static void answer(fv_backend *b, uint16_t head, uint32_t length)
{
    struct vring_used *used = b->ring.used;
    uint16_t slot = b->last_used % b->ring.size;
    used->ring[slot].id = head;
    used->ring[slot].len = length;
    b->last_used++;
}

static void publish(fv_backend *b)
{
    __atomic_store_n(&b->ring.used->idx, b->last_used, __ATOMIC_RELEASE);
    /* Not b->ring.callfd: QEMU replaces the call eventfd after the ring is ready (a second VHOST_USER_SET_VRING_CALL),
       so the fd read at new_device goes stale. rte_vhost_vring_call uses the current one and honours
       VRING_AVAIL_F_NO_INTERRUPT. */
    rte_vhost_vring_call(b->vid, FV_DATA_QUEUE);
}

/* A guest address range as host memory, or NULL when it is not inside one guest memory region. */
static uint8_t *guest(fv_backend *b, uint64_t gpa, uint32_t length)
{
    uint64_t mapped = length;
    uint64_t va = rte_vhost_va_from_guest_pa(b->memory, gpa, &mapped);
    return va == 0 || mapped < length ? NULL : (uint8_t *)(uintptr_t)va;
}

/*
 * Turns one descriptor chain into a request for the AC: the device-readable part is header (72 bytes) || IV ||
 * source, copied into the arena; the device-writable part is destination || status byte. Returns 1 with *fop
 * filled, or 0 with *status set (the request is answered at once; *status_at is where its status byte goes, NULL
 * when even that is unknown).
 */
static int parse(fv_backend *b, uint16_t head, uint8_t *status, uint8_t **status_at, fv_op *fop)
{
    uint32_t token = UINT32_MAX; /* the request's place in the arena */
    struct vring_desc *table = b->ring.desc;
    uint8_t header[VC_HEADER_BYTES];
    uint8_t iv[16];
    uint32_t got = 0, iv_length = 0, src_length = 0, dst_length = 0, op_type = 0, hash_length = 0;
    uint64_t cipher_offset = 0, cipher_length = 0, hash_offset = 0, hash_span = 0;
    int ended = 0;   /* the chain's last descriptor was reached: a chain longer than the table is a loop */
    int refused = 0; /* the header was refused: the rest of the chain is walked only to find the status byte */
    uint8_t *src = NULL;
    fv_req req = {.head = head};
    uint8_t *last_writable = NULL;
    uint32_t writable = 0;
    *status = VC_BADMSG;
    *status_at = NULL;
    uint16_t index = head;
    uint32_t entries = b->ring.size;
    /* QEMU's virtio-crypto offers indirect descriptors to the guest whatever the backend says, and Linux uses them:
       the head then points at a table of descriptors in guest memory, which is walked instead. */
    if (head < entries && (table[head].flags & VRING_DESC_F_INDIRECT))
    {
        struct vring_desc d = table[head];
        if (d.len < sizeof(struct vring_desc) || d.len % sizeof(struct vring_desc) != 0 ||
            (table = (struct vring_desc *)guest(b, d.addr, d.len)) == NULL)
        {
            goto bad;
        }
        entries = d.len / sizeof(struct vring_desc);
        index = 0;
    }
    for (uint32_t hops = 0; hops < entries; hops++)
    {
        if (index >= entries)
        {
            goto bad;
        }
        struct vring_desc d = table[index];
        if (d.flags & VRING_DESC_F_INDIRECT)
        {
            goto bad; /* nested indirect tables are forbidden by the spec */
        }
        uint8_t *p = guest(b, d.addr, d.len);
        if (p == NULL)
        {
            goto bad;
        }
        if (!(d.flags & VRING_DESC_F_WRITE))
        {
            if (writable > 0)
            {
                goto bad; /* readable after writable: not a virtio request */
            }
            for (uint32_t off = 0; off < d.len && !refused;)
            {
                if (got < VC_HEADER_BYTES)
                {
                    uint32_t n = RTE_MIN(d.len - off, VC_HEADER_BYTES - got);
                    memcpy(header + got, p + off, n);
                    got += n;
                    off += n;
                    if (got == VC_HEADER_BYTES)
                    {
                        iv_length = rd32(header + 24);
                        src_length = rd32(header + 28);
                        dst_length = rd32(header + 32);
                        op_type = rd32(header + 64);
                        if (op_type != VC_SYM_OP_CIPHER && op_type != VC_SYM_OP_CHAIN)
                        {
                            *status = VC_NOTSUPP;
                            goto refuse;
                        }
                        if (iv_length != 16 || src_length != dst_length || src_length == 0)
                        {
                            goto refuse;
                        }
                        if (src_length > FV_MAX_DATA)
                        {
                            *status = VC_NOTSUPP;
                            goto refuse;
                        }
                        cipher_length = src_length;
                        if (op_type == VC_SYM_OP_CHAIN)
                        {
                            /* alg_chain_data_para: cipher_start_src_offset 36, len_to_cipher 40,
                               hash_start_src_offset 44, len_to_hash 48, aad_len 52, hash_result_len 56. Both
                               regions lie in the source (64-bit sums: no wrap). */
                            cipher_offset = rd32(header + 36);
                            cipher_length = rd32(header + 40);
                            hash_offset = rd32(header + 44);
                            hash_span = rd32(header + 48);
                            hash_length = rd32(header + 56);
                            if (rd32(header + 52) != 0)
                            {
                                *status = VC_NOTSUPP;
                                goto refuse;
                            }
                            if (cipher_length == 0 || cipher_offset + cipher_length > src_length ||
                                hash_offset + hash_span > src_length || hash_length == 0 || hash_length > FV_MAX_DIGEST)
                            {
                                goto refuse;
                            }
                        }
                        if (cipher_length % 16 != 0)
                        {
                            goto refuse;
                        }
                        /* Fabric's chain function is encrypt-then-MAC over everything after the cipher offset,
                           the MAC over the whole source: the prefix is the function's AAD. */
                        if (op_type == VC_SYM_OP_CHAIN &&
                            (cipher_offset + cipher_length != src_length || hash_offset != 0 || hash_span != src_length))
                        {
                            *status = VC_NOTSUPP;
                            goto refuse;
                        }
                        if (b->free_count == 0)
                        {
                            *status = VC_ERR;
                            goto refuse;
                        }
                        token = b->free_tokens[--b->free_count];
                        src = b->arena + (size_t)(2 * token) * b->slot_size;
                    }
                }
                else if (got < VC_HEADER_BYTES + iv_length)
                {
                    uint32_t n = RTE_MIN(d.len - off, VC_HEADER_BYTES + iv_length - got);
                    memcpy(iv + (got - VC_HEADER_BYTES), p + off, n);
                    got += n;
                    off += n;
                }
                else if (got < VC_HEADER_BYTES + iv_length + src_length)
                {
                    uint32_t n = RTE_MIN(d.len - off, VC_HEADER_BYTES + iv_length + src_length - got);
                    memcpy(src + (got - VC_HEADER_BYTES - iv_length), p + off, n);
                    got += n;
                    off += n;
                }
                else
                {
                    break; /* extra readable bytes are ignored */
                }
                continue;
            refuse:
                refused = 1;
            }
        }
        else
        {
            /* Destination bytes first (then a chain's hash_result), then the status byte: the last writable byte. */
            uint32_t out_length = dst_length + hash_length;
            uint32_t dst_part = !refused && writable < out_length ? RTE_MIN(d.len, out_length - writable) : 0;
            if (dst_part > 0)
            {
                if (req.segments == FV_MAX_SEGMENTS)
                {
                    *status = VC_NOTSUPP; /* refused, but walked on to the status byte */
                    refused = 1;
                }
                else
                {
                    req.dst[req.segments] = p;
                    req.dst_length[req.segments] = dst_part;
                    req.segments++;
                }
            }
            if (d.len == 0 || writable + (uint64_t)d.len > UINT32_MAX)
            {
                goto bad;
            }
            writable += d.len;
            last_writable = p + d.len - 1;
        }
        if (!(d.flags & VRING_DESC_F_NEXT))
        {
            ended = 1;
            break;
        }
        index = d.next;
    }
    *status_at = last_writable;
    if (refused || !ended)
    {
        goto bad;
    }
    if (got < VC_HEADER_BYTES + iv_length + src_length || writable < dst_length + hash_length + 1 || src == NULL)
    {
        goto bad;
    }
    uint64_t id;
    memcpy(&id, header + 8, sizeof(id));
    uint32_t opcode = rd32(header);
    fv_session *s = id < FV_SESSIONS ? &b->sessions[id] : NULL;
    if (s == NULL || __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != 1)
    {
        *status = VC_INVSESS;
        goto bad;
    }
    if ((opcode == VC_CIPHER_ENCRYPT) != (s->encrypt != 0) || (opcode != VC_CIPHER_ENCRYPT && opcode != VC_CIPHER_DECRYPT) ||
        (op_type == VC_SYM_OP_CHAIN) != (s->chain != 0) || hash_length != s->digest_length)
    {
        goto bad; /* wrong direction, a cipher request on a chain session (or back), or a hash_result it does not make */
    }
    req.status = last_writable;
    req.length = dst_length + hash_length;
    if (s->chain && !s->encrypt)
    {
        /* The expected MAC: bytes [dst_length, dst_length + hash_length) of the writable part, after the data. */
        uint32_t at = 0;
        for (uint8_t i = 0; i < req.segments; i++)
        {
            uint32_t from = RTE_MAX(at, dst_length), to = RTE_MIN(at + req.dst_length[i], dst_length + hash_length);
            if (from < to)
            {
                memcpy(src + src_length + (from - dst_length), req.dst[i] + (from - at), to - from);
            }
            at += req.dst_length[i];
        }
    }
    {
        /* The AC's request: input = source (|| the expected MAC of a decrypting chain), the g-driver writes after the
           unciphered prefix of the out slot, which already holds that prefix (and the expected MAC: the answer
           is then one linear copy). */
        fv_token *t = &b->tokens[token];
        uint8_t *out = src + b->slot_size;
        uint32_t aad = op_type == VC_SYM_OP_CHAIN ? (uint32_t)cipher_offset : 0;
        int verify = s->chain && !s->encrypt;
        memcpy(out, src, aad);
        if (verify)
        {
            memcpy(out + src_length, src + src_length, hash_length);
        }
        t->req = req;
        t->epoch = b->epoch;
        t->expected = src_length - aad + (s->chain && s->encrypt ? hash_length : 0);
        t->used = 1;
        fop->token = token;
        fop->session = (uint32_t)id;
        fop->generation = s->generation;
        fop->encrypt = s->encrypt;
        fop->chain = s->chain;
        fop->aad = aad;
        fop->in_length = src_length + (verify ? hash_length : 0);
        fop->out_offset = aad;
        fop->out_capacity = t->expected;
        memcpy(fop->iv, iv, 16);
        return 1;
    }
bad:
#ifdef FV_DEBUG
    fprintf(stderr, "fabric_vhost: refused request %u: status %u got %u iv %u src %u dst %u writable %u op_type %u opcode %u\n", head, *status, got,
            iv_length, src_length, dst_length, writable, got >= VC_HEADER_BYTES ? rd32(header + 64) : 0, got >= 4 ? rd32(header) : 0);
#endif
    if (token != UINT32_MAX)
    {
        b->free_tokens[b->free_count++] = (uint16_t)token;
    }
    *status_at = last_writable;
    return 0;
}

static void on_destroy_device(int vid)
{
    fv_backend *b = find_backend(vid);
    if (b == NULL || b->vid != vid || !__atomic_load_n(&b->active, __ATOMIC_SEQ_CST))
    {
        return;
    }
    __atomic_store_n(&b->active, 0, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&b->busy, __ATOMIC_SEQ_CST))
    {
        /* the poller finishes its pass and then sees active == 0 */
    }
    /* Requests still in the AC belong to this connection's memory, which goes now: their answers are dropped (the
       epoch no longer matches). Its sessions close; the poller frees them once the AC is done with them. */
    b->epoch++;
    for (int i = 0; i < FV_SESSIONS; i++)
    {
        int live = 1;
        __atomic_compare_exchange_n(&b->sessions[i].state, &live, 2, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    }
    free(b->memory);
    b->memory = NULL;
    b->vid = -1;
    __atomic_store_n(&b->stats.guests_ready, 0, __ATOMIC_RELAXED);
}

/* Takes up to `max` well-formed requests off the guest's queue into the arena (malformed ones are answered here).
   Requests wait in the AC until fv_backend_complete. */
FV_EXPORT int fv_backend_fetch(fv_backend *b, fv_op *ops, int max)
{
    if (b == NULL || ops == NULL || max < 0)
    {
        return FV_ERR_ARGS;
    }
    __atomic_store_n(&b->busy, 1, __ATOMIC_SEQ_CST);
    if (b->free_count == b->depth)
    {
        reap_sessions(b, 0); /* nothing in the AC can point at a closed session */
    }
    if (!__atomic_load_n(&b->active, __ATOMIC_SEQ_CST))
    {
        __atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
        return 0;
    }
    int n = 0;
    uint16_t answered = b->last_used;
    uint16_t avail = __atomic_load_n(&b->ring.avail->idx, __ATOMIC_ACQUIRE);
    while (b->last_avail != avail && n < max && b->free_count > 0)
    {
        uint16_t head = b->ring.avail->ring[b->last_avail % b->ring.size];
        b->last_avail++;
        __atomic_add_fetch(&b->stats.fetched, 1, __ATOMIC_RELAXED);
        uint8_t status, *status_at;
        if (parse(b, head, &status, &status_at, &ops[n]))
        {
            n++;
            continue;
        }
        if (status_at != NULL)
        {
            *status_at = status;
        }
        answer(b, head, status_at != NULL ? 1 : 0);
        __atomic_add_fetch(&b->stats.completed, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&b->stats.failed, 1, __ATOMIC_RELAXED);
    }
    if (b->last_used != answered)
    {
        publish(b);
    }
    __atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
    return n;
}

/* The AC's answers. An Ok answer's output (checked to be exactly the expected length) is copied into
   the guest's destination; any other status is the request's virtio status. Unknown tokens are ignored. */
FV_EXPORT int fv_backend_complete(fv_backend *b, const fv_done *done, int n)
{
    if (b == NULL || (done == NULL && n > 0))
    {
        return FV_ERR_ARGS;
    }
    __atomic_store_n(&b->busy, 1, __ATOMIC_SEQ_CST);
    int active = __atomic_load_n(&b->active, __ATOMIC_SEQ_CST);
    uint16_t answered = b->last_used;
    uint64_t failed = 0, completed = 0;
    for (int i = 0; i < n; i++)
    {
        uint32_t token = done[i].token;
        if (token >= b->depth || !b->tokens[token].used)
        {
            continue;
        }
        fv_token *t = &b->tokens[token];
        t->used = 0;
        b->free_tokens[b->free_count++] = (uint16_t)token;
        if (!active || t->epoch != b->epoch)
        {
            continue; /* its guest is gone */
        }
        uint8_t status = done[i].status > VC_INVSESS ? VC_ERR : (uint8_t)done[i].status;
        if (status == VC_OK && done[i].written != t->expected)
        {
            status = VC_ERR;
        }
        if (status == VC_OK)
        {
            const uint8_t *data = b->arena + (size_t)(2 * token + 1) * b->slot_size;
            for (uint8_t s = 0; s < t->req.segments; s++)
            {
                memcpy(t->req.dst[s], data, t->req.dst_length[s]);
                data += t->req.dst_length[s];
            }
        }
        else
        {
            failed++;
        }
        *t->req.status = status;
        answer(b, t->req.head, t->req.length + 1);
        completed++;
    }
    __atomic_add_fetch(&b->stats.completed, completed, __ATOMIC_RELAXED);
    __atomic_add_fetch(&b->stats.failed, failed, __ATOMIC_RELAXED);
    if (active && b->last_used != answered)
    {
        publish(b);
    }
    __atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
    return (int)completed;
}

/* The key bytes of a live or closing session (AES key || MAC key), or -1 when the slot is not that
   session any more. Called by the poller, which alone frees slots, so the bytes cannot change under it. */
FV_EXPORT int fv_backend_session_key(fv_backend *b, uint32_t id, uint32_t generation, uint8_t *key, int capacity)
{
    if (b == NULL || id >= FV_SESSIONS || key == NULL)
    {
        return -1;
    }
    fv_session *s = &b->sessions[id];
    int state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
    int total = s->key_length + s->auth_key_length;
    if ((state != 1 && state != 2) || s->generation != generation || total > capacity)
    {
        return -1;
    }
    memcpy(key, s->key, s->key_length);
    memcpy(key + s->key_length, s->auth_key, s->auth_key_length);
    return total;
}

/* Sessions freed since the last call, as (generation << 32) | id: the AC closes its copies. */
FV_EXPORT int fv_backend_reaped(fv_backend *b, uint64_t *out, int max)
{
    if (b == NULL || out == NULL)
    {
        return FV_ERR_ARGS;
    }
    int n = 0;
    while (b->reaped_count > 0 && n < max)
    {
        out[n++] = b->reaped[b->reaped_head];
        b->reaped_head = (b->reaped_head + 1) % FV_SESSIONS;
        b->reaped_count--;
    }
    return n;
}

static const struct rte_vhost_device_ops s_device_ops = {
    .new_device = on_new_device,
    .destroy_device = on_destroy_device,
    .new_connection = on_new_connection,
};

/* Offered virtio features: VERSION_1 and the protocol-features bit only. No indirect descriptors and no event index,
   so a request is always a plain chain and the guest is always notified through the call eventfd. Protocol
   features: DPDK's defaults minus F_STATUS (QEMU 7.2 never sends DRIVER_OK for this device and DPDK would wait
   for it) and minus F_CONFIG (QEMU does not do it for crypto). */
static int start_driver(const char *path)
{
    const uint64_t features = (1ULL << 32) | (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
    uint64_t protocol;
    if (rte_vhost_driver_set_features(path, features) != 0 || rte_vhost_driver_get_protocol_features(path, &protocol) != 0)
    {
        return -1;
    }
    protocol &= ~((1ULL << VHOST_USER_PROTOCOL_F_STATUS) | (1ULL << VHOST_USER_PROTOCOL_F_CONFIG));
    protocol |= 1ULL << VHOST_USER_PROTOCOL_F_CRYPTO_SESSION;
    if (rte_vhost_driver_set_protocol_features(path, protocol) != 0)
    {
        return -1;
    }
    return rte_vhost_driver_start(path);
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
    stats->sessions = __atomic_load_n(&b->stats.sessions, __ATOMIC_RELAXED);
    stats->sessions_refused = __atomic_load_n(&b->stats.sessions_refused, __ATOMIC_RELAXED);
    stats->guests_ready = __atomic_load_n(&b->stats.guests_ready, __ATOMIC_RELAXED);
    stats->guests_seen = __atomic_load_n(&b->stats.guests_seen, __ATOMIC_RELAXED);
}

static void release(fv_backend *b)
{
    reap_sessions(b, 1); /* wipes the keys */
    free(b);
}

static int listen_on(fv_backend *b, const char *socket_path, fv_backend **out, char *err, size_t err_length);

FV_EXPORT int fv_backend_create_fabric(const char *socket_path, uint32_t key_length, uint32_t mac, void *arena,
                                       uint32_t slot_size, uint32_t depth, fv_backend **out, char *err, size_t err_length)
{
    if (socket_path == NULL || arena == NULL || out == NULL)
    {
        return fail(err, err_length, FV_ERR_ARGS, "socket path, arena and result are required");
    }
    *out = NULL;
    if (strlen(socket_path) >= 108)
    {
        return fail(err, err_length, FV_ERR_ARGS, "socket path is longer than a Unix socket path may be (107 bytes)");
    }
    /* key_length 0 (aes-cbc: any AES key size) is for cipher sessions only: a chain's key is AES key || MAC key,
       which the g-driver could not split without a fixed AES key size. */
    if ((key_length != 16 && key_length != 32 && !(key_length == 0 && mac == 0)) ||
        (mac != 0 && mac != VC_MAC_HMAC_SHA1 && mac != VC_MAC_HMAC_SHA256))
    {
        return fail(err, err_length, FV_ERR_UNSUPPORTED, "fabric vhost queues serve AES-CBC with 16- or 32-byte keys "
                    "alone or with HMAC-SHA1/SHA-256, or with any AES key size alone (key %u, mac %u)", key_length, mac);
    }
    if (depth == 0 || depth > FV_DEPTH || slot_size < FV_MAX_DATA + FV_MAX_DIGEST)
    {
        return fail(err, err_length, FV_ERR_ARGS, "depth must be 1..%d and slots at least %d bytes", FV_DEPTH,
                    FV_MAX_DATA + FV_MAX_DIGEST);
    }
    fv_backend *b = calloc(1, sizeof(*b));
    if (b == NULL)
    {
        return fail(err, err_length, FV_ERR_NO_MEMORY, "out of memory");
    }
    strcpy(b->path, socket_path);
    b->vid = -1;
    b->key_length = key_length;
    b->mac = mac;
    b->arena = arena;
    b->slot_size = slot_size;
    b->depth = depth;
    for (uint32_t i = 0; i < depth; i++)
    {
        b->free_tokens[i] = (uint16_t)(depth - 1 - i);
    }
    b->free_count = depth;
    return listen_on(b, socket_path, out, err, err_length);
}

/* Registers a set-up backend and listens on its socket; frees it on failure. */
static int listen_on(fv_backend *b, const char *socket_path, fv_backend **out, char *err, size_t err_length)
{
    int rc = FV_OK;
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
    else if (rte_vhost_driver_callback_register(socket_path, &s_device_ops) != 0 || start_driver(socket_path) != 0)
    {
        rte_vhost_driver_unregister(socket_path);
        rc = fail(err, err_length, FV_ERR_VHOST, "cannot start the vhost-user driver on %s", socket_path);
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
    /* Unregister tears a connected guest's device down through on_destroy_device. It returns -EBUSY while the vhost
       thread is inside a callback of this socket: retry briefly. */
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
