/** Lines the simulation form may have at most (the action reads as many). */
export const MAX_LINES = 20;
