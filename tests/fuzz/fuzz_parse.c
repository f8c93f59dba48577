/*-------------------------------------------------------------------------
 *
 * fuzz_parse.c
 *		libFuzzer harness for the gatekeeper front end: arbitrary bytes go
 *		through the parser (including DO bodies, EXECUTE strings and
 *		directives), the classifier and every report renderer.
 *
 * Built by "make -C gatekeeper fuzz" with -fsanitize=fuzzer,address,undefined.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>

#include "gatekeeper.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gk_file		file;
	gk_file_result result;
	gk_error	err;
	gk_options	opts;
	gk_catalog *catalog;
	int			f;

	if (size > 65536)
		return 0;
	gk_options_init(&opts);
	if (gk_parse_source("fuzz.sql", (const char *) data, size, &file, &err) != 0)
		return 0;
	catalog = gk_catalog_new();
	if (catalog != NULL &&
		gk_classify_file(&file, &opts, catalog, &result, &err) == 0)
	{
		for (f = GK_FORMAT_TEXT; f <= GK_FORMAT_SARIF; f++)
			free(gk_report_render((gk_format) f, &result, 1, &opts, &err));
		gk_file_result_free(&result);
	}
	gk_catalog_free(catalog);
	gk_file_free(&file);
	return 0;
}
