/*
 * stdbool.h - the module kit's freestanding <stdbool.h> (see the kit's
 * stddef.h); C++ has bool already.
 */
#ifndef THESEUS_KIT_STDBOOL_H
#define THESEUS_KIT_STDBOOL_H

#ifndef __cplusplus
#define bool _Bool
#define true 1
#define false 0
#endif
#define __bool_true_false_are_defined 1

#endif
