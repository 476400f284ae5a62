/* A fixture of scripts/spec-map.py --self-test (never built): one comment
 * naming a definition HighSpecs has, one naming nothing of it. */

/* spec: local_gen_vmid */
long fixture_gen_vmid(void)
{
	return 0;
}

/* spec: local_gen_vmid_h (misspelt: HighSpecs has no such name) */
long fixture_misspelt(void)
{
	return 0;
}
