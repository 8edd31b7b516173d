/*
 * fabric-kat: runs inside the test guest (static, PID 1's child). Checks that the kernel registered virtio_crypto's
 * cbc(aes), runs the NIST SP 800-38A CBC-AES128/256 vectors through AF_ALG on that driver (asked for by its driver
 * name, so the kernel cannot quietly pick aesni or aes-generic instead), then a short throughput loop on the virtio
 * driver and on the guest's own software cbc(aes) for comparison. Every result is one line on stdout (the serial
 * console) starting with FABRIC-, which the host test parses.
 */
#include <errno.h>
#include <linux/if_alg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define VIRTIO_DRIVER "virtio_crypto_aes_cbc"

static const uint8_t iv[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                               0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

static const uint8_t plain[64] = {
    0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
    0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
    0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef,
    0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10};

/* F.2.1 / F.2.2 */
static const uint8_t key128[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                   0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t cipher128[64] = {
    0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46, 0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d,
    0x50, 0x86, 0xcb, 0x9b, 0x50, 0x72, 0x19, 0xee, 0x95, 0xdb, 0x11, 0x3a, 0x91, 0x76, 0x78, 0xb2,
    0x73, 0xbe, 0xd6, 0xb8, 0xe3, 0xc1, 0x74, 0x3b, 0x71, 0x16, 0xe6, 0x9e, 0x22, 0x22, 0x95, 0x16,
    0x3f, 0xf1, 0xca, 0xa1, 0x68, 0x1f, 0xac, 0x09, 0x12, 0x0e, 0xca, 0x30, 0x75, 0x86, 0xe1, 0xa7};

/* F.2.5 / F.2.6 */
static const uint8_t key256[32] = {0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae,
                                   0xf0, 0x85, 0x7d, 0x77, 0x81, 0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61,
                                   0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4};
static const uint8_t cipher256[64] = {
    0xf5, 0x8c, 0x4c, 0x04, 0xd6, 0xe5, 0xf1, 0xba, 0x77, 0x9e, 0xab, 0xfb, 0x5f, 0x7b, 0xfb, 0xd6,
    0x9c, 0xfc, 0x4e, 0x96, 0x7e, 0xdb, 0x80, 0x8d, 0x67, 0x9f, 0x77, 0x7b, 0xc6, 0x70, 0x2c, 0x7d,
    0x39, 0xf2, 0x33, 0x69, 0xa9, 0xd9, 0xba, 0xcf, 0xa5, 0x30, 0xe2, 0x63, 0x04, 0x23, 0x14, 0x61,
    0xb2, 0xeb, 0x05, 0xe2, 0xc3, 0x9b, 0xe9, 0xfc, 0xda, 0x6c, 0x19, 0x07, 0x8c, 0x6a, 0x9d, 0x1b};

/* A transform socket (bound to a driver, keyed); ops are accepted sockets on it. Returns -1 with a message. */
static int open_tfm(const char *driver, const uint8_t *key, int key_length)
{
    struct sockaddr_alg sa;
    memset(&sa, 0, sizeof(sa));
    sa.salg_family = AF_ALG;
    strcpy((char *)sa.salg_type, "skcipher");
    strncpy((char *)sa.salg_name, driver, sizeof(sa.salg_name) - 1);
    int tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
    if (tfm < 0)
    {
        printf("FABRIC-ERROR socket(AF_ALG): %s\n", strerror(errno));
        return -1;
    }
    if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0)
    {
        printf("FABRIC-ERROR bind %s: %s\n", driver, strerror(errno));
        close(tfm);
        return -1;
    }
    if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, key_length) < 0)
    {
        printf("FABRIC-ERROR setkey %s (%d bytes): %s\n", driver, key_length, strerror(errno));
        close(tfm);
        return -1;
    }
    return tfm;
}

/* One CBC operation on an accepted op socket: IV and direction in control messages, data in, result out. */
static int crypt_op(int op, int encrypt, const uint8_t *in, uint8_t *out, size_t length)
{
    char control[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)];
    memset(control, 0, sizeof(control));
    struct iovec iov = {.iov_base = (void *)in, .iov_len = length};
    struct msghdr msg = {.msg_control = control, .msg_controllen = sizeof(control), .msg_iov = &iov, .msg_iovlen = 1};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_OP;
    c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
    *(uint32_t *)CMSG_DATA(c) = encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_IV;
    c->cmsg_len = CMSG_LEN(sizeof(struct af_alg_iv) + 16);
    struct af_alg_iv *aiv = (struct af_alg_iv *)CMSG_DATA(c);
    aiv->ivlen = 16;
    memcpy(aiv->iv, iv, 16);
    if (sendmsg(op, &msg, 0) != (ssize_t)length)
    {
        printf("FABRIC-ERROR sendmsg: %s\n", strerror(errno));
        return -1;
    }
    size_t got = 0;
    while (got < length)
    {
        ssize_t n = read(op, out + got, length - got);
        if (n <= 0)
        {
            printf("FABRIC-ERROR read: %s\n", n < 0 ? strerror(errno) : "end of stream");
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

static int kat(const char *driver, const char *name, const uint8_t *key, int key_length, int encrypt,
               const uint8_t *in, const uint8_t *expected)
{
    uint8_t out[64];
    int ok = 0;
    int tfm = open_tfm(driver, key, key_length);
    if (tfm >= 0)
    {
        int op = accept(tfm, NULL, 0);
        if (op < 0)
        {
            printf("FABRIC-ERROR accept: %s\n", strerror(errno));
        }
        else
        {
            ok = crypt_op(op, encrypt, in, out, sizeof(out)) == 0 && memcmp(out, expected, sizeof(out)) == 0;
            close(op);
        }
        close(tfm);
    }
    printf("FABRIC-KAT-CASE driver=%s case=%s result=%s\n", driver, name, ok ? "pass" : "fail");
    return ok;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Encrypts `size`-byte buffers for about `seconds`; one line with ops and bytes per second. */
static void throughput(const char *driver, size_t size, double seconds)
{
    static uint8_t in[65536], out[65536];
    int tfm = open_tfm(driver, key128, sizeof(key128));
    if (tfm < 0)
    {
        return;
    }
    int op = accept(tfm, NULL, 0);
    long ops = 0, errors = 0, errors_in_a_row = 0;
    double start = now(), elapsed = 0;
    /* A failed request (e.g. the one in flight when the device behind the queue fails) is counted and the loop goes
       on, so the line shows what was served after it; a socket that keeps failing ends the loop. */
    while (op >= 0 && elapsed < seconds && errors_in_a_row < 3)
    {
        if (crypt_op(op, 1, in, out, size) != 0)
        {
            errors++;
            errors_in_a_row++;
        }
        else
        {
            ops++;
            errors_in_a_row = 0;
        }
        elapsed = now() - start;
    }
    printf("FABRIC-THROUGHPUT driver=%s size=%zu ops=%ld seconds=%.3f ops_per_s=%.1f mb_per_s=%.3f errors=%ld\n", driver, size,
           ops, elapsed, elapsed > 0 ? ops / elapsed : 0, elapsed > 0 ? ops * size / elapsed / 1e6 : 0, errors);
    if (op >= 0)
    {
        close(op);
    }
    close(tfm);
}

/* The /proc/crypto block of a driver: registered, and its self-test result. */
static int listed(const char *driver)
{
    FILE *f = fopen("/proc/crypto", "r");
    char line[256], name[128] = "", found = 0;
    if (!f)
    {
        printf("FABRIC-ERROR /proc/crypto: %s\n", strerror(errno));
        return 0;
    }
    while (fgets(line, sizeof(line), f))
    {
        if (sscanf(line, "name : %127s", name) == 1)
        {
            continue;
        }
        char d[128];
        if (sscanf(line, "driver : %127s", d) == 1 && strcmp(d, driver) == 0)
        {
            found = 1;
            printf("FABRIC-PROC-CRYPTO driver=%s name=%s\n", driver, name);
        }
        char s[64];
        if (found == 1 && sscanf(line, "selftest : %63s", s) == 1)
        {
            printf("FABRIC-PROC-CRYPTO driver=%s selftest=%s\n", driver, s);
            found = 2;
        }
    }
    fclose(f);
    return found != 0;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    int passed = 0, failed = 0;
    if (!listed(VIRTIO_DRIVER))
    {
        printf("FABRIC-ERROR /proc/crypto does not list %s\n", VIRTIO_DRIVER);
        failed++;
    }
    const char *drivers[] = {VIRTIO_DRIVER, "cbc(aes-generic)"};
    for (int d = 0; d < 2; d++)
    {
        int r[4] = {
            kat(drivers[d], "CBC-AES128.Encrypt", key128, 16, 1, plain, cipher128),
            kat(drivers[d], "CBC-AES128.Decrypt", key128, 16, 0, cipher128, plain),
            kat(drivers[d], "CBC-AES256.Encrypt", key256, 32, 1, plain, cipher256),
            kat(drivers[d], "CBC-AES256.Decrypt", key256, 32, 0, cipher256, plain),
        };
        for (int i = 0; i < 4; i++)
        {
            /* Only the virtio driver's results count: it is the path under test. */
            if (d == 0)
            {
                passed += r[i];
                failed += !r[i];
            }
        }
    }
    printf("FABRIC-KAT passed=%d failed=%d\n", passed, failed);
    if (seconds > 0)
    {
        throughput(VIRTIO_DRIVER, 4096, seconds);
        throughput("cbc(aes-generic)", 4096, seconds);
    }
    printf("FABRIC-DONE\n");
    fflush(stdout);
    return failed == 0 ? 0 : 1;
}
