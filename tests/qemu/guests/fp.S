/* FP/SIMD register checks for the world switch, used by the guest and the
 * test host (both C sides are built -mgeneral-regs-only).
 * fp_fill(seed): v[i] = {seed + i, ~(seed + i)} for i = 0..31.
 * fp_check(seed): the number of v registers that do not hold that. */
	.arch	armv8-a+fp+simd
	.text
	.global	fp_fill, fp_check
fp_fill:
	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	add	x1, x0, #\i
	mvn	x2, x1
	fmov	d\i, x1
	mov	v\i\().d[1], x2
	.endr
	ret
fp_check:
	mov	x3, #0
	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	add	x1, x0, #\i
	mvn	x2, x1
	fmov	x4, d\i
	mov	x5, v\i\().d[1]
	cmp	x4, x1
	ccmp	x5, x2, #0, eq
	cinc	x3, x3, ne
	.endr
	mov	x0, x3
	ret
