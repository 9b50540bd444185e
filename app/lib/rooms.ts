/** The socket.io room every connection of one user joins. */
export const userRoom = (userId: string) => `user:${userId}`;

/** Every connection of an administrator also joins this room (the live dashboard). */
export const ADMIN_ROOM = "admins";
