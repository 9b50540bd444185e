/** The socket.io room every connection of one user joins. */
export const userRoom = (userId: string) => `user:${userId}`;
