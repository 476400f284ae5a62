/* SCENARIO_IMAGES: VERIFY_VM refuses every image that is not exactly what
 * a provisioned key signed for that slot (docs/image-format.md, D40). Each
 * bad image gets a VM of its own: VERIFY_VM is -KE_AUTH, the system goes on,
 * the VM can never run (POWEROFF), and the host gets every page back,
 * zeroed. host.c then runs a VM from the good image. */
#include "kcore/abi.h"
#include "kcore/errno.h"
#include "kcore/image.h"
#include "kcore/vcpu.h"

#include "fmt.h"
#include "hostlib.h"
#include "scenario.h"

extern const u8 guest_image[], guest_image_end[];
/* the same guest, signed with a key KCore was not provisioned with */
extern const u8 guest_image_otherkey[], guest_image_otherkey_end[];

#define LOAD 0x40080000UL
#define BAD_BASE 0x54000000UL /* host pages for the bad images */
#define RUN_PAGE 0x53F00000UL

enum tamper { T_NONE, T_HEADER, T_BODY, T_SIG };

struct bad_image {
	const char *what;
	const u8 *img;
	u64 len;        /* bytes the host loads */
	u64 boot_size;  /* what it declares in SET_BOOT_INFO */
	u64 load;       /* where it declares it */
	enum tamper t;
	u64 bit;        /* which bit to flip, from the start of that part */
};

static u64 image_len(void)
{
	return (u64)(uintptr_t)guest_image_end - (u64)(uintptr_t)guest_image;
}

static void vol_copy(u64 dst, const u8 *src, u64 n)
{
	for (u64 i = 0; i < n; i++)
		((volatile u8 *)(uintptr_t)dst)[i] = src[i];
}

static void flip(u64 base, u64 bit)
{
	((volatile u8 *)(uintptr_t)base)[bit / 8] ^= (u8)(1U << (bit % 8));
}

/* Every page the host loaded comes back zeroed: the host can read it (no
 * abort) and every byte is 0. */
static bool pages_back_zero(u64 base, u64 pages)
{
	u64 before = aborts;

	for (u64 p = 0; p < pages; p++)
		for (u64 j = 0; j < 4096 / 8; j++)
			if (((volatile u64 *)(uintptr_t)(base + p * 4096))[j] != 0)
				return false;
	/* aborts is volatile: the exception handler counts the reads it refused */
	// cppcheck-suppress knownConditionTrueFalse
	return aborts == before;
}

static void one_bad_image(const struct bad_image *b, u64 base)
{
	u64 trailer = base + b->len - IMAGE_TRAILER_SIZE;
	u64 pages = (b->boot_size + 4095) / 4096;
	struct kcore_run_page *rp;
	long vmid, r;
	bool ok = true;

	hprintf("host: bad image: %s\n", b->what);
	for (u64 i = 0; i < (pages + 1) * 4096 / 8; i++)
		((volatile u64 *)(uintptr_t)base)[i] = 0;
	vol_copy(base, b->img, b->len);
	if (b->t == T_HEADER)
		flip(trailer, b->bit);
	else if (b->t == T_BODY)
		flip(base, b->bit);
	else if (b->t == T_SIG)
		flip(trailer + IMAGE_OFF_SIG, b->bit);
	vmid = host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0);
	ok &= host_hvc(KCORE_HC_REGISTER_KVM, (u64)vmid, 0, 0, 0, 0) == 0;
	ok &= host_hvc(KCORE_HC_REGISTER_VCPU, (u64)vmid, 0, 0, 0, 0) == 0;
	rp = (struct kcore_run_page *)(uintptr_t)(RUN_PAGE + (u64)vmid * 4096);
	for (u32 j = 0; j < 4096 / 8; j++)
		((volatile u64 *)rp)[j] = 0;
	rp->entry_pc = b->load;
	rp->entry_pstate = 0x3C5;
	ok &= host_hvc(KCORE_HC_REGISTER_RUN_PAGE, (u64)vmid, 0, (u64)(uintptr_t)rp, 0, 0) == 0;
	ok &= host_hvc(KCORE_HC_SET_BOOT_INFO, (u64)vmid, b->load, b->boot_size, 0, 0) == 0;
	for (u64 i = 0; i < pages; i++)
		ok &= host_hvc(KCORE_HC_REMAP_VM_IMAGE, (u64)vmid, (base >> 12) + i, 0, 0, 0) == 0;
	check(ok, "bad image: VM declared, image remapped");
	r = call("VERIFY_VM", KCORE_HC_VERIFY_VM, (u64)vmid, 0, 0, 0);
	check(r == -KE_AUTH, "bad image: VERIFY_VM is -KE_AUTH");
	r = host_hvc(KCORE_HC_VCPU_RUN, (u64)vmid, 0, 0, 0, 0);
	check(r == -KE_STATE || r == -KE_OWNER, "bad image: the VM does not run");
	check(host_hvc(KCORE_HC_VERIFY_VM, (u64)vmid, 0, 0, 0, 0) == -KE_STATE,
	      "bad image: the VM cannot be verified again");
	check(pages_back_zero(base, pages), "bad image: every page back to the host, zeroed");
}

void images_refused(void)
{
	u64 n = image_len();
	u64 other = (u64)(uintptr_t)guest_image_otherkey_end - (u64)(uintptr_t)guest_image_otherkey;
	const struct bad_image bad[] = {
		{ "one bit of the magic", guest_image, n, n, LOAD, T_HEADER, 3 },
		{ "one bit of the payload size", guest_image, n, n, LOAD, T_HEADER,
		  IMAGE_OFF_PAYLOAD_SIZE * 8 + 4 },
		{ "one bit of the load address", guest_image, n, n, LOAD, T_HEADER,
		  IMAGE_OFF_LOAD_ADDR * 8 + 12 },
		{ "one bit of the key id", guest_image, n, n, LOAD, T_HEADER, IMAGE_OFF_KEY_ID * 8 },
		{ "one bit of a reserved byte", guest_image, n, n, LOAD, T_HEADER,
		  IMAGE_OFF_RESERVED * 8 + 9 },
		{ "one bit of the body (first instruction)", guest_image, n, n, LOAD, T_BODY, 0 },
		{ "one bit of the body (last payload byte)", guest_image, n, n, LOAD, T_BODY,
		  (n - IMAGE_TRAILER_SIZE - 1) * 8 + 7 },
		{ "one bit of the signature (R)", guest_image, n, n, LOAD, T_SIG, 5 },
		{ "one bit of the signature (S)", guest_image, n, n, LOAD, T_SIG, 63 * 8 + 1 },
		{ "signed with a key KCore does not know", guest_image_otherkey, other, other, LOAD,
		  T_NONE, 0 },
		{ "truncated by one byte", guest_image, n - 1, n - 1, LOAD, T_NONE, 0 },
		{ "larger than its boot info (last page left out)", guest_image, n,
		  (n - 1) / 4096 * 4096, LOAD, T_NONE, 0 },
		{ "at a load address it was not signed for", guest_image, n, n, LOAD + 0x200000UL,
		  T_NONE, 0 },
	};

	for (u32 i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		one_bad_image(&bad[i], BAD_BASE + (u64)i * 0x40000UL);
	check(call("NOP", KCORE_HC_NOP, 0, 0, 0, 0) == 0, "KCore still answers");
}
